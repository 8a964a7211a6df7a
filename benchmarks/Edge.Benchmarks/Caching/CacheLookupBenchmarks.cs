using BenchmarkDotNet.Attributes;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Edge.Benchmarks.Caching;

/// <summary>
/// Finding a hit before any body byte is read: the key hash, the disk cache's index and its open-handle and
/// metadata cache (the lease a hit takes), and the memory tier, in a cache of 10,000 objects.
/// </summary>
[MemoryDiagnoser]
public class CacheLookupBenchmarks : IDisposable
{
    private const int Objects = 10_000;
    private string _directory = "";
    private DiskCache _cache = null!;
    private MemoryTier _memory = null!;
    private string[] _keys = [];
    private UInt128[] _hashes = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("edge-bench-").FullName;
        var options = Options.Create(new EdgeOptions { CacheDirectory = _directory, OriginUrl = "http://127.0.0.1:1", CacheMaxBytes = 1L << 34 });
        _cache = new DiskCache(options, NullLogger<DiskCache>.Instance);
        _memory = new MemoryTier(options, _cache);
        _keys = [.. Enumerable.Range(0, Objects).Select(i => $"/titles/t{i % 100}/v{i % 7}/seg_{i:D5}.m4s")];
        _hashes = [.. _keys.Select(CacheKey.Hash)];
        var body = new byte[1024];
        foreach (var key in _keys)
        {
            var size = ObjectFile.SizeOnDisk(body.Length);
            using var temp = _cache.CreateTemp(CacheKey.Hash(key));
            temp.TryReserve(size);
            RandomAccess.Write(temp.Handle, body, ObjectFile.HeaderSize);
            _cache.Publish(temp, new ObjectMetadata
            {
                Key = key,
                ContentLength = body.Length,
                ContentType = "video/iso.segment",
                ETag = "\"e\"",
                LastModified = DateTimeOffset.UnixEpoch,
                StoredAt = DateTimeOffset.UnixEpoch,
            }, size, [ObjectFile.Checksum(body)]);
        }

        // Every handle opened and every header read once, as on a warm node; every object in memory too.
        for (var i = 0; i < Objects; i++)
        {
            _cache.TryAcquire(_hashes[i], _keys[i], out var lease);
            lease.Dispose();
            _memory.Promote(_hashes[i], _keys[i]);
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _memory.Dispose();
        _cache.Dispose();
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public UInt128 HashKey() => CacheKey.Hash(_keys[_next++ % Objects]);

    [Benchmark]
    public bool DiskHit()
    {
        var i = _next++ % Objects;
        if (!_cache.TryAcquire(_hashes[i], _keys[i], out var lease))
        {
            return false;
        }

        lease.Dispose();
        return true;
    }

    [Benchmark]
    public bool DiskHitWithHash()
    {
        var key = _keys[_next++ % Objects];
        if (!_cache.TryAcquire(CacheKey.Hash(key), key, out var lease))
        {
            return false;
        }

        lease.Dispose();
        return true;
    }

    [Benchmark]
    public bool MemoryHit() => _memory.TryGet(_keys[_next++ % Objects], out _);
}
