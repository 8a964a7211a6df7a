using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;

namespace Edge.Benchmarks.Caching;

/// <summary>
/// MemoryCache with a size limit, as the memory tier uses it, against a bare dictionary: a hit, and a churning insert
/// into a full cache (which is where its compaction would show).
/// </summary>
[MemoryDiagnoser]
public class MemoryTierBenchmarks : IDisposable
{
    private const int Entries = 10_000;
    private readonly ConcurrentDictionary<string, byte[]> _dictionary = new();
    private readonly byte[] _body = new byte[16];
    private MemoryCache _cache = null!;
    private MemoryCache _full = null!;
    private string[] _keys = [];
    private string[] _churn = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _keys = [.. Enumerable.Range(0, Entries).Select(i => $"/titles/t{i % 100}/v{i % 7}/seg_{i:D5}.m4s")];
        _churn = [.. Enumerable.Range(0, 4 * Entries).Select(i => $"/titles/c{i % 100}/v{i % 7}/seg_{i:D5}.m4s")];
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = long.MaxValue, TrackStatistics = true });
        _full = new MemoryCache(new MemoryCacheOptions { SizeLimit = Entries, TrackStatistics = true });
        foreach (var key in _keys)
        {
            _dictionary[key] = _body;
            _cache.Set(key, _body, new MemoryCacheEntryOptions { Size = 1 });
            _full.Set(key, _body, new MemoryCacheEntryOptions { Size = 1 });
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _cache.Dispose();
        _full.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public bool DictionaryHit() => _dictionary.TryGetValue(_keys[_next++ % Entries], out _);

    [Benchmark]
    public bool MemoryCacheHit() => _cache.TryGetValue(_keys[_next++ % Entries], out _);

    [Benchmark]
    public void MemoryCacheInsertWhenFull()
    {
        // Past the limit MemoryCache turns the insert away and compacts 5% in the background.
        _full.Set(_churn[_next++ % _churn.Length], _body, new MemoryCacheEntryOptions { Size = 1 });
    }
}
