using System.IO.Hashing;
using System.Text;
using Edge.EdgeServer.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// The node's disk cache over one or more disks (<c>Edge:CacheDirectories</c>). Each object has one disk, chosen by
/// weighted rendezvous hashing of its key over the disks in service, so adding or losing a disk moves only that
/// disk's share. Each disk keeps its own budget (never exceeded: space is reserved before a fill writes), index and
/// eviction policy; a disk that fails is taken out of service and checked until it works again.
/// </summary>
internal sealed partial class DiskCache : IDisposable
{
    private const string PinsFile = "pins.json";

    private readonly CacheDisk[] _disks;
    private readonly ulong[] _seeds;
    private readonly OpenFileCache _files;
    private readonly ILogger<DiskCache> _logger;
    private readonly Lock _pinsLock = new();
    private readonly string _pinsPath;
    private readonly ITimer? _checks;
    private readonly int[] _reloading;
    private volatile string[] _pins = [];
    private int _disposed;

    public DiskCache(IOptions<EdgeOptions> options, ILogger<DiskCache> logger, TimeProvider? time = null, ICacheFileSystem? fileSystem = null)
    {
        var edge = options.Value;
        _logger = logger;
        _files = new OpenFileCache(FileLimits.MaxOpenFiles(edge.MaxOpenFiles, FileLimits.SoftLimit()));
        var configured = edge.CacheDirectories.Count > 0
            ? edge.CacheDirectories.Select(d => (d.Path, d.MaxBytes)).ToList()
            : [(edge.CacheDirectory, edge.CacheMaxBytes)];
        _disks = [.. configured.Select((d, i) => new CacheDisk(i + 1, d.Path, d.MaxBytes, edge.EvictionPolicy, _files, fileSystem ?? PhysicalCacheFileSystem.Instance, () => _pins.Length > 0, IsPinned, logger))];

        // A disk's place in the ring comes from its path, not its position in the list, so reordering moves nothing.
        _seeds = [.. _disks.Select(d => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(d.Root)))];
        _reloading = new int[_disks.Length];
        foreach (var disk in _disks)
        {
            disk.ObjectChanged += hash => ObjectChanged?.Invoke(hash);
        }

        StateDirectory = Path.GetFullPath(string.IsNullOrWhiteSpace(edge.CacheDirectory) ? _disks[0].Root : edge.CacheDirectory);
        Directory.CreateDirectory(StateDirectory);
        _pinsPath = Path.Combine(StateDirectory, PinsFile);
        LoadPins();
        LoadDisks();
        if (time is not null && edge.CacheDiskCheckInterval > TimeSpan.Zero)
        {
            _checks = time.CreateTimer(_ => CheckDisksQuietly(), null, edge.CacheDiskCheckInterval, edge.CacheDiskCheckInterval);
        }
    }

    /// <summary>Where the node keeps its own state (pins, fill jobs): <c>Edge:CacheDirectory</c>, else the first disk.</summary>
    public string StateDirectory { get; }

    public IReadOnlyList<CacheDisk> Disks => _disks;

    /// <summary>Completes when every disk's start-up load has finished (in service or failed).</summary>
    public Task Loaded { get; private set; } = Task.CompletedTask;

    /// <summary>The handles of cached objects kept open, at most <c>Edge:MaxOpenFiles</c>.</summary>
    public OpenFileCache OpenFiles => _files;

    /// <summary>The budget of all disks, in service or not.</summary>
    public long MaxBytes => _disks.Sum(d => d.MaxBytes);

    public long UsedBytes => _disks.Sum(d => d.UsedBytes);

    public long ReservedBytes => _disks.Sum(d => d.ReservedBytes);

    public int Count => _disks.Sum(d => d.Count);

    public long Evictions => _disks.Sum(d => d.Evictions);

    public long EvictedBytes => _disks.Sum(d => d.EvictedBytes);

    /// <summary>Raised after an object leaves the cache (evicted, purged, replaced, refreshed), so copies elsewhere go too.</summary>
    public event Action<UInt128>? ObjectChanged;

    /// <summary>Called when a checksum check outside the serving path finds a corrupt object.</summary>
    public Action? IntegrityFailures { get; set; }

    /// <summary>Path prefixes whose objects are never evicted (titles placed by proactive fill).</summary>
    public IReadOnlyList<string> Pins => _pins;

    /// <summary>Set when every disk in service found itself full at its last write; cleared by the next object published.</summary>
    public string? DiskFull
    {
        get
        {
            string? full = null;
            foreach (var disk in _disks)
            {
                if (disk.IsOnline)
                {
                    if (disk.DiskFull is not { } detail)
                    {
                        return null;
                    }

                    full ??= detail;
                }
            }

            return full;
        }
    }

    /// <summary>ENOSPC on Linux, ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(IOException exception) => exception.HResult is 28 or 112 or 39 or unchecked((int)0x80070070) or unchecked((int)0x80070027);

    public bool IsPinned(string key)
    {
        foreach (var prefix in _pins)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Pins a path prefix; kept across restarts.</summary>
    public void Pin(string prefix)
    {
        lock (_pinsLock)
        {
            if (!_pins.Contains(prefix, StringComparer.Ordinal))
            {
                _pins = [.. _pins, prefix];
                SavePins();
            }
        }
    }

    /// <summary>Unpins a path prefix: its objects become evictable again.</summary>
    public bool Unpin(string prefix)
    {
        lock (_pinsLock)
        {
            if (!_pins.Contains(prefix, StringComparer.Ordinal))
            {
                return false;
            }

            _pins = [.. _pins.Where(p => p != prefix)];
            SavePins();
            return true;
        }
    }

    /// <summary>Removes every object whose key starts with <paramref name="prefix"/> (or equals it).</summary>
    public (int Objects, long Bytes) Purge(string prefix)
    {
        var objects = 0;
        long bytes = 0;
        foreach (var disk in _disks)
        {
            foreach (var (hash, size) in disk.Find(prefix))
            {
                if (disk.Remove(hash))
                {
                    objects++;
                    bytes += size;
                }
            }
        }

        return (objects, bytes);
    }

    /// <summary>Looks up an object and takes a reference on its file. The hit path.</summary>
    public bool TryAcquire(UInt128 hash, string key, out CacheLease lease)
    {
        foreach (var disk in _disks)
        {
            if (disk.TryAcquire(hash, key, out lease))
            {
                return true;
            }
        }

        lease = default;
        return false;
    }

    public bool Contains(UInt128 hash) => _disks.Any(d => d.Contains(hash));

    /// <summary>The metadata of a stored object, from whichever disk holds it.</summary>
    public ObjectMetadata? GetMetadata(UInt128 hash)
    {
        foreach (var disk in _disks)
        {
            if (disk.GetMetadata(hash) is { } metadata)
            {
                return metadata;
            }
        }

        return null;
    }

    /// <summary>Whether a whole 200 response for <paramref name="key"/> is stored (not an error, not a variant list), and its body size.</summary>
    public bool TryGetSize(UInt128 hash, string key, out long size)
    {
        foreach (var disk in _disks)
        {
            if (disk.GetMetadata(hash) is { StatusCode: 200, Vary: null } metadata && metadata.Key == key)
            {
                size = metadata.ContentLength;
                return true;
            }
        }

        size = 0;
        return false;
    }

    /// <summary>
    /// Creates the temporary file a fill of <paramref name="hash"/> writes into, on the disk the object belongs to;
    /// if that disk fails now, on the next one. It becomes visible only through <see cref="Publish"/>.
    /// </summary>
    /// <exception cref="IOException">No disk is in service, or the process is out of descriptors.</exception>
    public TempObject CreateTemp(UInt128 hash)
    {
        IOException? last = null;
        foreach (var disk in Ranked(hash))
        {
            try
            {
                return disk.CreateTemp();
            }
            catch (IOException ex) when (!FileLimits.IsOutOfDescriptors(ex))
            {
                last = ex;
            }
        }

        throw new IOException("no cache disk is in service" + (last is null ? "" : ": " + last.Message), last);
    }

    /// <summary>Reading a cached object's body failed: the disk that holds it is checked.</summary>
    public void ReportReadError(UInt128 hash, IOException exception)
    {
        foreach (var disk in _disks)
        {
            if (disk.Contains(hash))
            {
                disk.ReportError(exception);
                return;
            }
        }
    }

    /// <summary>
    /// Writes the header block and renames the temporary file into place, so the object appears whole or not at all.
    /// <paramref name="reservedBytes"/> must cover the file's size.
    /// </summary>
    public bool Publish(TempObject temp, ObjectMetadata metadata, long reservedBytes, ulong[]? checksums = null)
    {
        if (!temp.Disk.Publish(temp, metadata, reservedBytes, checksums))
        {
            return false;
        }

        // An older copy on another disk (stored while this one was out of service) goes.
        var hash = CacheKey.Hash(metadata.Key);
        foreach (var disk in _disks)
        {
            if (disk != temp.Disk)
            {
                disk.Remove(hash);
            }
        }

        return true;
    }

    /// <summary>
    /// Reads a whole object of at most <paramref name="maxBytes"/> into memory, checking every chunk's checksum; a
    /// corrupt object is removed. The memory tier and manifest walks load objects this way.
    /// </summary>
    public bool TryReadVerified(UInt128 hash, string key, long maxBytes, out ObjectMetadata? metadata, out byte[]? body)
    {
        metadata = null;
        body = null;
        if (!TryAcquire(hash, key, out var lease))
        {
            return false;
        }

        using (lease)
        {
            var length = lease.Metadata.ContentLength;
            if (length > maxBytes)
            {
                return false;
            }

            var bytes = GC.AllocateUninitializedArray<byte>((int)length);
            try
            {
                if (RandomAccess.Read(lease.Handle, bytes, ObjectFile.HeaderSize) != length)
                {
                    Remove(hash);
                    return false;
                }
            }
            catch (IOException ex)
            {
                ReportReadError(hash, ex);
                return false;
            }

            for (var i = 0; i < lease.Checksums.Length; i++)
            {
                var start = i * ObjectFile.ChunkSize;
                var chunk = bytes.AsSpan(start, (int)Math.Min(ObjectFile.ChunkSize, length - start));
                if (ObjectFile.Checksum(chunk) != lease.Checksums[i])
                {
                    LogCorruptObject(_logger, lease.Metadata.Key);
                    IntegrityFailures?.Invoke();
                    Remove(hash);
                    return false;
                }
            }

            (metadata, body) = (lease.Metadata, bytes);
            return true;
        }
    }

    /// <summary>Rewrites a stored object's header block with refreshed metadata (after a 304); the body stays.</summary>
    public bool Refresh(UInt128 hash, ObjectMetadata metadata) => _disks.FirstOrDefault(d => d.Contains(hash))?.Refresh(hash, metadata) ?? false;

    /// <summary>Removes an object (purge, corruption); readers holding a lease finish their response.</summary>
    public bool Remove(UInt128 hash)
    {
        var removed = false;
        foreach (var disk in _disks)
        {
            removed |= disk.Remove(hash);
        }

        return removed;
    }

    /// <summary>
    /// Whether the cache can take traffic: at least one disk in service and working. <paramref name="detail"/> names the
    /// disks out of service (with their problem after a colon), or why none works.
    /// </summary>
    public bool IsUsable(out string detail)
    {
        CheckDisks();
        var down = _disks.Where(d => !d.IsOnline).ToList();
        if (down.Count == _disks.Length)
        {
            detail = _disks.Length == 1
                ? "cache directory unusable: " + (_disks[0].Problem ?? "loading")
                : $"no cache disk in service: " + string.Join("; ", down.Select(d => $"disk {d.Number} {d.Problem ?? "loading"}"));
            return false;
        }

        detail = down.Count == 0
            ? ""
            : $"{down.Count} of {_disks.Length} cache disks out of service (" + string.Join(", ", down.Select(d => d.Number)) + "): "
                + string.Join("; ", down.Select(d => $"disk {d.Number} {(d.State == DiskState.Loading ? "loading" : d.Problem)}"));
        return true;
    }

    /// <summary>
    /// Checks every disk: one in service that no longer works is taken out; one out of service that works again is
    /// indexed again in the background and used once that is done. Runs every <c>Edge:CacheDiskCheckInterval</c>.
    /// </summary>
    public void CheckDisks()
    {
        for (var i = 0; i < _disks.Length; i++)
        {
            var disk = _disks[i];
            if (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            if (disk.IsOnline)
            {
                if (!disk.Probe(out var problem))
                {
                    disk.Fail(problem);
                }
            }
            else if (disk.State == DiskState.Failed && disk.Probe(out _) && Interlocked.Exchange(ref _reloading[i], 1) == 0)
            {
                var number = i;
                _ = Task.Run(() =>
                {
                    try
                    {
                        Reload(disk);
                    }
                    finally
                    {
                        Volatile.Write(ref _reloading[number], 0);
                    }
                });
            }
        }
    }

    // A timer callback that threw would end the process; a check that fails is logged and tried at the next tick.
    private void CheckDisksQuietly()
    {
        try
        {
            CheckDisks();
        }
        catch (Exception ex)
        {
            LogCheckFailed(_logger, ex);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _checks?.Dispose();
        foreach (var disk in _disks)
        {
            disk.Dispose();
        }
    }

    /// <summary>An object's file: <c>objects/{first two hex digits}/{hash}</c>.</summary>
    internal static string ObjectPathOf(string objectsRoot, UInt128 hash) => CacheDisk.ObjectPathOf(objectsRoot, hash);

    /// <summary>The disk a new object of <paramref name="hash"/> is placed on now, or null when none is in service.</summary>
    internal CacheDisk? DiskFor(UInt128 hash) => Ranked(hash).FirstOrDefault();

    // The disks in service, best first for this hash: weighted rendezvous (highest random weight) hashing.
    private IEnumerable<CacheDisk> Ranked(UInt128 hash)
    {
        var key = (ulong)hash ^ (ulong)(hash >> 64);
        var ranked = new List<(double Score, CacheDisk Disk)>(_disks.Length);
        for (var i = 0; i < _disks.Length; i++)
        {
            if (_disks[i].IsOnline)
            {
                // -w / ln(u) for u uniform in (0, 1): each disk wins its budget's share of keys.
                var u = ((Mix(key ^ _seeds[i]) >> 11) + 0.5) / (1UL << 53);
                ranked.Add((-_disks[i].MaxBytes / Math.Log(u), _disks[i]));
            }
        }

        ranked.Sort((a, b) => b.Score.CompareTo(a.Score));
        return ranked.Select(r => r.Disk);
    }

    // SplitMix64's finaliser.
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
        return x ^ (x >> 31);
    }

    // Disks are indexed side by side; the node starts once one is in service, and the others join as they finish.
    private void LoadDisks()
    {
        if (_disks.Length == 1)
        {
            _disks[0].Load();
            return;
        }

        var loads = _disks.Select(disk => Task.Run(() => Reload(disk))).ToList();
        Loaded = Task.WhenAll(loads);
        var pending = new List<Task>(loads);
        while (pending.Count > 0 && !_disks.Any(d => d.IsOnline))
        {
            var done = Task.WhenAny(pending).GetAwaiter().GetResult();
            pending.Remove(done);
        }
    }

    private void Reload(CacheDisk disk)
    {
        if (!disk.Load())
        {
            return;
        }

        // Objects filled onto other disks while this one was away are the fresher copies.
        var dropped = disk.DropWhere(hash => _disks.Any(d => d != disk && d.IsOnline && d.Contains(hash)));
        LogDiskInService(_logger, disk.Number, disk.Root, disk.Count, dropped);
    }

    private void SavePins()
    {
        var temp = _pinsPath + ".tmp";
        File.WriteAllText(temp, System.Text.Json.JsonSerializer.Serialize(_pins, PinsJsonContext.Default.StringArray));
        File.Move(temp, _pinsPath, overwrite: true);
    }

    private void LoadPins()
    {
        if (!File.Exists(_pinsPath))
        {
            return;
        }

        try
        {
            _pins = System.Text.Json.JsonSerializer.Deserialize(File.ReadAllText(_pinsPath), PinsJsonContext.Default.StringArray) ?? [];
        }
        catch (System.Text.Json.JsonException ex)
        {
            LogPinsUnreadable(_logger, _pinsPath, ex.Message);
        }
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Cached object {Key} is not a whole object; removed")]
    private static partial void LogCorruptObject(ILogger logger, string key);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Pins file {Path} is unreadable and was ignored: {Reason}")]
    private static partial void LogPinsUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 109, Level = LogLevel.Error, Message = "Checking the cache disks failed; tried again at the next interval")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "Cache disk {Number} ({Root}) is in service with {Count} objects; {Dropped} were dropped because another disk holds a newer copy")]
    private static partial void LogDiskInService(ILogger logger, int number, string root, int count, int dropped);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class PinsJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
