using Edge.EdgeServer.Configuration;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// An object held in memory: its metadata and whole, verified body, in an array or (large bodies) a sealed in-memory
/// <see cref="File"/>, one of the two.
/// </summary>
internal sealed record MemoryObject(ObjectMetadata Metadata, byte[]? Body, MemoryFile? File = null);

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
    private readonly long _fileMinBytes;
    private readonly int _maxFiles;
    private int _files;

    public MemoryTier(IOptions<EdgeOptions> options, DiskCache disk)
    {
        var value = options.Value;
        _maxObjectBytes = value.MemoryCacheMaxObjectBytes;

        // Files only pay where plain-HTTP connections can send them with sendfile.
        _fileMinBytes = value.Transport.DirectSend && value.Transport.SendFileMinBytes > 0 && OperatingSystem.IsLinux() ? value.Transport.SendFileMinBytes : long.MaxValue;
        _maxFiles = FileLimits.MemoryFiles(FileLimits.SoftLimit());
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

    /// <summary>Bodies held in sealed in-memory files.</summary>
    public int Files => Volatile.Read(ref _files);

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

    /// <summary>
    /// The object held under <paramref name="key"/>. One held in a file comes with a lease on it, which the caller
    /// must <see cref="MemoryFile.Release"/>; one evicted between the lookup and the lease is not found.
    /// </summary>
    public bool TryGet(string key, out MemoryObject? value)
    {
        value = null;
        return _cache is not null && _cache.TryGetValue(key, out value) && value is not null && (value.File is not { } file || file.TryAcquire());
    }

    /// <summary>Whether an object seen <paramref name="diskHits"/> times on disk should be loaded.</summary>
    public bool ShouldPromote(string key, long length, int diskHits) =>
        _cache is not null && length <= _maxObjectBytes && (diskHits >= 2 || IsAlwaysHot(key));

    /// <summary>
    /// Loads an object from disk (checking every chunk) and keeps it; null when it cannot be. Like
    /// <see cref="TryGet"/>, an object held in a file comes with a lease the caller must release.
    /// </summary>
    public MemoryObject? Promote(UInt128 hash, string key)
    {
        if (_cache is null || !Disk.TryReadVerified(hash, key, _maxObjectBytes, out var metadata, out var body))
        {
            return null;
        }

        var file = body!.Length >= _fileMinBytes && TryTakeFile() ? CreateFile(body) : null;
        var value = file is null ? new MemoryObject(metadata!, body) : new MemoryObject(metadata!, null, file);
        var entry = new MemoryCacheEntryOptions
        {
            Size = body.Length + EntryOverhead,
            Priority = IsAlwaysHot(key) ? CacheItemPriority.High : CacheItemPriority.Normal,
        };
        entry.RegisterPostEvictionCallback(static (key, value, reason, state) =>
        {
            var (tier, hash) = ((MemoryTier, UInt128))state!;
            if (reason != EvictionReason.Replaced)
            {
                tier._keys.TryRemove(new KeyValuePair<UInt128, string>(hash, (string)key));
            }

            // Closed once the last request or queued send holding it lets go.
            if (((MemoryObject)value!).File is { } evicted)
            {
                evicted.Dispose();
                Interlocked.Decrement(ref tier._files);
            }
        }, (this, hash));

        // The caller's lease, taken before the cache can evict the file.
        file?.TryAcquire();
        _keys[hash] = key;
        _cache.Set(key, value, entry);
        return value;
    }

    public void Remove(string key) => _cache?.Remove(key);

    public void Dispose()
    {
        // Evicts every entry, closing the files with the callbacks.
        _cache?.Compact(1.0);
        _cache?.Dispose();
    }

    private bool TryTakeFile()
    {
        if (Interlocked.Increment(ref _files) <= _maxFiles)
        {
            return true;
        }

        Interlocked.Decrement(ref _files);
        return false;
    }

    private MemoryFile? CreateFile(byte[] body)
    {
        if (MemoryFile.Create(body) is { } file)
        {
            return file;
        }

        Interlocked.Decrement(ref _files);
        return null;
    }

    private void OnDiskChanged(UInt128 hash)
    {
        if (_cache is not null && _keys.TryRemove(hash, out var key))
        {
            _cache.Remove(key);
        }
    }
}
