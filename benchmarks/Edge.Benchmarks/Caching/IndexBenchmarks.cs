using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Edge.Benchmarks.Caching;

/// <summary>
/// The disk cache's index at appliance scale: rebuilt at start-up from a cache directory of synthetic objects (sparse
/// files, so ten million take no disk) by listing it, or from the snapshot a clean stop leaves, against a bare listing
/// of the same directory; and the memory it keeps per object (printed once per run as
/// <c>// index: N bytes per object</c>). The generated directory (<c>$TMPDIR/edge-index-bench-N</c>, sparse files: inodes
/// only) is made once and kept for the next run, since making ten million files takes longer than the benchmark.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class IndexBenchmarks : IDisposable
{
    private const long ObjectBytes = 2 * 1024 * 1024;
    private string _directory = "";
    private DiskCache? _loaded;

    [Params(1_000_000, 10_000_000)]
    public int Objects { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), $"edge-index-bench-{Objects}");
        var complete = Path.Combine(_directory, "generated");
        if (!File.Exists(complete))
        {
            var objects = Path.Combine(_directory, "objects");
            Parallel.For(0, 256, folder => Directory.CreateDirectory(Path.Combine(objects, folder.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))));
            Parallel.For(0, Environment.ProcessorCount, worker =>
            {
                for (var i = worker; i < Objects; i += Environment.ProcessorCount)
                {
                    var path = DiskCache.ObjectPathOf(objects, CacheKey.Hash($"/titles/t{i % 1000}/720p/seg_{i:D8}.m4s"));
                    using var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write);
                    RandomAccess.SetLength(file, ObjectFile.SizeOnDisk(ObjectBytes));
                }
            });
            File.WriteAllText(complete, Objects.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        // Each benchmark starts from a listing: no snapshot of an earlier one.
        File.Delete(Path.Combine(_directory, "index.bin"));
        var before = GC.GetTotalMemory(forceFullCollection: true);
        using var cache = Load();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"// index: {(after - before) / (double)Objects:0.0} bytes per object ({cache.Count} objects, table {cache.Disks[0].IndexBytes / (double)Objects:0.0} B each)");
        GC.KeepAlive(cache);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _loaded?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public int ListDirectory() => new DirectoryInfo(Path.Combine(_directory, "objects")).EnumerateFiles("*", SearchOption.AllDirectories).Count();

    [IterationSetup(Target = nameof(RebuildByListing))]
    public void ForgetSnapshot() => File.Delete(Path.Combine(_directory, "index.bin"));

    /// <summary>After a crash: no snapshot, every folder listed (names, sizes and times; no file opened).</summary>
    [Benchmark]
    public int RebuildByListing()
    {
        _loaded = Load();
        return _loaded.Count;
    }

    /// <summary>After a clean stop: the snapshot read, and the 256 folders' times checked against it.</summary>
    [Benchmark]
    public int RebuildFromSnapshot()
    {
        _loaded = Load();
        return _loaded.Count;
    }

    // The snapshot is written by the stop, which is not part of what is measured.
    [IterationCleanup]
    public void Stop()
    {
        _loaded?.Dispose();
        _loaded = null;
    }

    private DiskCache Load()
    {
        var max = Objects * ObjectFile.SizeOnDisk(ObjectBytes);
        var options = Options.Create(new EdgeOptions { CacheDirectory = _directory, OriginUrl = "http://127.0.0.1:1", CacheMaxBytes = max });
        return new DiskCache(options, NullLogger<DiskCache>.Instance);
    }
}
