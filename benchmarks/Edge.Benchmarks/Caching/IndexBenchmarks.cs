using BenchmarkDotNet.Attributes;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Edge.Benchmarks.Caching;

/// <summary>
/// The disk cache's index at appliance scale: rebuilding it from a cache directory of synthetic objects (sparse
/// files, so a million take no disk), against a bare listing of the same directory, and the memory it keeps per
/// object (printed once per run as <c>// index: N bytes per object</c>).
/// </summary>
[MemoryDiagnoser]
public class IndexBenchmarks : IDisposable
{
    private string _directory = "";

    [Params(1_000_000)]
    public int Objects { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("edge-index-").FullName;
        for (var i = 0; i < Objects; i++)
        {
            var path = DiskCache.ObjectPathOf(Path.Combine(_directory, "objects"), CacheKey.Hash($"/titles/t{i % 1000}/720p/seg_{i:D7}.m4s"));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var file = File.Create(path);
            file.SetLength(ObjectFile.SizeOnDisk(2 * 1024 * 1024));
        }

        var before = GC.GetTotalMemory(forceFullCollection: true);
        using var cache = Load();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"// index: {(after - before) / (double)Objects:0} bytes per object ({cache.Count} objects)");
    }

    [GlobalCleanup]
    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public int ListDirectory() => new DirectoryInfo(Path.Combine(_directory, "objects")).EnumerateFiles("*", SearchOption.AllDirectories).Count();

    [Benchmark]
    public int Rebuild()
    {
        using var cache = Load();
        return cache.Count;
    }

    private DiskCache Load()
    {
        var max = (long)Objects * ObjectFile.SizeOnDisk(2 * 1024 * 1024);
        var options = Options.Create(new EdgeOptions { CacheDirectory = _directory, OriginUrl = "http://127.0.0.1:1", CacheMaxBytes = max });
        return new DiskCache(options, NullLogger<DiskCache>.Instance);
    }
}
