using Edge.EdgeServer.Configuration;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Caching;

/// <summary>An object held in memory: its metadata and whole, verified body.</summary>
internal sealed record MemoryObject(ObjectMetadata Metadata, byte[] Body);

/// <summary>
/// The memory tier in front of the disk cache (Microsoft.Extensions.Caching.Memory with a byte budget). Manifests and
/// init segments enter on their first hit, other objects on their second, if small enough. Bodies are checksum-verified
/// as they are loaded, and a hit does no disk I/O. Any change to the object on disk drops the copy here.
/// </summary>
internal sealed class MemoryTier : IDisposable
{
    // Per-entry bookkeeping of MemoryCache and the metadata object, charged against the budget.
    private const int EntryOverhead = 1024;

    private readonly MemoryCache? _cache;

    // Hash to key of every object held, so a change reported by hash finds its copy without scanning.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<UInt128, string> _keys = new();
    private readonly long _maxObjectBytes;

    public MemoryTier(IOptions<EdgeOptions> options, DiskCache disk)
    {
        var value = options.Value;
        _maxObjectBytes = value.MemoryCacheMaxObjectBytes;
        if (value.MemoryCacheMaxBytes > 0)
        {
            _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = value.MemoryCacheMaxBytes, TrackStatistics = true });
        }

        Disk = disk;
        disk.ObjectChanged += OnDiskChanged;
    }

    public DiskCache Disk { get; }

    public bool Enabled => _cache is not null;

    public long MaxObjectBytes => _maxObjectBytes;

    /// <summary>Bytes held, as MemoryCache counts them (bodies plus overhead).</summary>
    public long Bytes => _cache?.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    public long Count => _cache?.GetCurrentStatistics()?.CurrentEntryCount ?? 0;

    /// <summary>Manifests and init segments are small, read by every player and re-read often: they always go in.</summary>
    public static bool IsAlwaysHot(string key)
    {
        var path = Serving.CacheKeyPolicy.PathOf(key);
        if (path.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".mpd", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // Init segments by their usual names: init.mp4, video_init.m4s, init-0.mp4.
        var name = path[(path.LastIndexOf('/') + 1)..];
        return name.Contains("init", StringComparison.OrdinalIgnoreCase);
    }

    public bool TryGet(string key, out MemoryObject? value)
    {
        value = null;
        return _cache is not null && _cache.TryGetValue(key, out value) && value is not null;
    }

    /// <summary>Whether an object seen <paramref name="diskHits"/> times on disk should be loaded.</summary>
    public bool ShouldPromote(string key, long length, int diskHits) =>
        _cache is not null && length <= _maxObjectBytes && (diskHits >= 2 || IsAlwaysHot(key));

    /// <summary>Loads an object from disk (checking every chunk) and keeps it; null when it cannot be.</summary>
    public MemoryObject? Promote(UInt128 hash, string key)
    {
        if (_cache is null || !Disk.TryReadVerified(hash, key, _maxObjectBytes, out var metadata, out var body))
        {
            return null;
        }

        var value = new MemoryObject(metadata!, body!);
        var entry = new MemoryCacheEntryOptions
        {
            Size = body!.Length + EntryOverhead,
            Priority = IsAlwaysHot(key) ? CacheItemPriority.High : CacheItemPriority.Normal,
        };
        entry.RegisterPostEvictionCallback(static (key, _, reason, state) =>
        {
            if (reason != EvictionReason.Replaced)
            {
                var (tier, hash) = ((MemoryTier, UInt128))state!;
                tier._keys.TryRemove(new KeyValuePair<UInt128, string>(hash, (string)key));
            }
        }, (this, hash));
        _keys[hash] = key;
        _cache.Set(key, value, entry);
        return value;
    }

    public void Remove(string key) => _cache?.Remove(key);

    public void Dispose() => _cache?.Dispose();

    private void OnDiskChanged(UInt128 hash)
    {
        if (_cache is not null && _keys.TryRemove(hash, out var key))
        {
            _cache.Remove(key);
        }
    }
}
