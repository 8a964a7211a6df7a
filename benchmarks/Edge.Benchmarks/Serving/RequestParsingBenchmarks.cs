using BenchmarkDotNet.Attributes;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Serving;

namespace Edge.Benchmarks.Serving;

/// <summary>Per-request work on the hit path before any byte is read: path check, key hash, Range parse.</summary>
[MemoryDiagnoser]
public class RequestParsingBenchmarks
{
    private const string Path = "/titles/big-buck-bunny/v3/seg_00042.m4s";

    [Benchmark(Baseline = true)]
    public int CheckPath() => (int)RequestPath.Check(Path, Path, 1024);

    [Benchmark]
    public UInt128 HashKey() => CacheKey.Hash(Path);

    [Benchmark]
    public int ParseRange() => (int)ByteRangeParser.Parse("bytes=1048576-2097151", 4_000_000, out _);

    [Benchmark]
    public string? ContentType() => ContentTypes.ForPath(Path);
}
