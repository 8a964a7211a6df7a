using BenchmarkDotNet.Running;
using Edge.Benchmarks.Serving;

BenchmarkSwitcher.FromAssembly(typeof(RequestParsingBenchmarks).Assembly).Run(args);
