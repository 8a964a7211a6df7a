using System.Collections.Concurrent;
using Edge.EdgeServer.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// The node's disk cache: an index of published objects, a byte budget that is never exceeded
/// (space is reserved before a fill writes), atomic publication by rename, and recovery of what is
/// already on disk at start-up from directory listings alone.
/// </summary>
internal sealed partial class DiskCache : IDisposable
{
    private const string ObjectsFolder = "objects";
    private const string TempFolder = "tmp";
    private const string PinsFile = "pins.json";

    // Pinned objects the eviction policy offers are put back; past this many in one reservation, it gives up.
    private const int MaxPinnedSkips = 4096;

    private readonly ConcurrentDictionary<UInt128, CacheEntry> _entries = new();
    private readonly Lock _budgetLock = new();
    private readonly IEvictionPolicy _policy;
    private readonly OpenFileCache _files;
    private readonly ILogger<DiskCache> _logger;
    private readonly string _objectsPath;
    private readonly string _tempPath;
    private readonly string _pinsPath;
    private volatile string[] _pins = [];
    private long _usedBytes;
    private long _reservedBytes;
    private long _evictions;
    private long _evictedBytes;

    private string? _diskFull;

    public DiskCache(IOptions<EdgeOptions> options, IEvictionPolicy policy, ILogger<DiskCache> logger)
    {
        var root = Path.GetFullPath(options.Value.CacheDirectory);
        _objectsPath = Path.Combine(root, ObjectsFolder);
        _tempPath = Path.Combine(root, TempFolder);
        _pinsPath = Path.Combine(root, PinsFile);
        MaxBytes = options.Value.CacheMaxBytes;
        _files = new OpenFileCache(FileLimits.MaxOpenFiles(options.Value.MaxOpenFiles, FileLimits.SoftLimit()));
        _policy = policy;
        _logger = logger;
        Load();
    }

    public long MaxBytes { get; }

    /// <summary>The handles of cached objects kept open, at most <c>Edge:MaxOpenFiles</c>.</summary>
    public OpenFileCache OpenFiles => _files;

    public long UsedBytes => Interlocked.Read(ref _usedBytes);

    public long ReservedBytes => Interlocked.Read(ref _reservedBytes);

    public int Count => _entries.Count;

    public long Evictions => Interlocked.Read(ref _evictions);

    public long EvictedBytes => Interlocked.Read(ref _evictedBytes);

    /// <summary>Raised after an object leaves the cache (evicted, purged, replaced, refreshed), so copies elsewhere go too.</summary>
    public event Action<UInt128>? ObjectChanged;

    /// <summary>Path prefixes whose objects are never evicted (titles placed by proactive fill).</summary>
    public IReadOnlyList<string> Pins => _pins;

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
        lock (_budgetLock)
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
        lock (_budgetLock)
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
        foreach (var entry in _entries.Values)
        {
            if (entry.GetMetadata() is { } metadata && metadata.Key.StartsWith(prefix, StringComparison.Ordinal) && Remove(entry))
            {
                objects++;
                bytes += entry.SizeOnDisk;
            }
        }

        return (objects, bytes);
    }

    /// <summary>Looks up an object and takes a reference on its file. The hit path.</summary>
    public bool TryAcquire(UInt128 hash, string key, out CacheLease lease)
    {
        if (_entries.TryGetValue(hash, out var entry))
        {
            if (entry.TryAcquire(key, _files, out lease))
            {
                _policy.OnHit(entry);
                return true;
            }

            // A key collision keeps the existing object; anything else means the file is gone or not whole.
            if (!entry.IsRemoved && entry.GetMetadata() is null)
            {
                LogCorruptObject(_logger, entry.FilePath);
                Remove(entry);
            }
        }

        lease = default;
        return false;
    }

    public bool Contains(UInt128 hash) => _entries.ContainsKey(hash);

    /// <summary>Whether a whole object for <paramref name="key"/> is stored, and its body size.</summary>
    public bool TryGetSize(UInt128 hash, string key, out long size)
    {
        size = 0;
        if (_entries.TryGetValue(hash, out var entry) && entry.GetMetadata() is { } metadata && metadata.Key == key)
        {
            size = metadata.ContentLength;
            return true;
        }

        return false;
    }

    /// <summary>Creates the temporary file a fill writes into; it becomes visible only through <see cref="Publish"/>.</summary>
    public TempObject CreateTemp()
    {
        Directory.CreateDirectory(_tempPath);
        var path = Path.Combine(_tempPath, Guid.NewGuid().ToString("N") + ".part");
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (IOException ex) when (FileLimits.IsOutOfDescriptors(ex) && _files.CloseIdle() > 0)
        {
            handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }

        return new TempObject(path, handle);
    }

    /// <summary>Reserves disk space for a fill, evicting as needed; false if the budget cannot hold it.</summary>
    public bool TryReserve(long bytes)
    {
        if (bytes > MaxBytes)
        {
            return false;
        }

        List<CacheEntry>? victims = null;
        List<CacheEntry>? pinned = null;
        bool reserved;
        lock (_budgetLock)
        {
            while (_usedBytes + _reservedBytes + bytes > MaxBytes)
            {
                var victim = _policy.SelectVictim();
                if (victim is null)
                {
                    break;
                }

                if (_pins.Length > 0 && victim.GetMetadata() is { } metadata && IsPinned(metadata.Key))
                {
                    (pinned ??= []).Add(victim);
                    if (pinned.Count >= MaxPinnedSkips)
                    {
                        break;
                    }

                    continue;
                }

                if (Detach(victim))
                {
                    (victims ??= []).Add(victim);
                }
            }

            foreach (var keep in pinned ?? [])
            {
                _policy.OnInserted(keep, restored: true);
            }

            reserved = _usedBytes + _reservedBytes + bytes <= MaxBytes;
            if (reserved)
            {
                _reservedBytes += bytes;
            }
        }

        if (victims is not null)
        {
            foreach (var victim in victims)
            {
                Interlocked.Increment(ref _evictions);
                Interlocked.Add(ref _evictedBytes, victim.SizeOnDisk);
                DeleteFile(victim.FilePath);
                ObjectChanged?.Invoke(victim.Hash);
            }
        }

        return reserved;
    }

    public void ReleaseReservation(long bytes)
    {
        lock (_budgetLock)
        {
            _reservedBytes -= bytes;
        }
    }

    /// <summary>
    /// Writes the header block and renames the temporary file into place, so the object appears
    /// whole or not at all. <paramref name="reservedBytes"/> must cover the file's size.
    /// </summary>
    public CacheEntry? Publish(TempObject temp, ObjectMetadata metadata, long reservedBytes, ulong[]? checksums = null)
    {
        Volatile.Write(ref _diskFull, null);
        var size = ObjectFile.SizeOnDisk(metadata.ContentLength);
        var hash = CacheKey.Hash(metadata.Key);
        var target = ObjectPath(hash);
        try
        {
            if (size > reservedBytes)
            {
                ReleaseReservation(reservedBytes);
                return null;
            }

            checksums ??= ObjectFile.ComputeChecksums(temp.Handle, metadata.ContentLength);
            ObjectFile.WriteChecksums(temp.Handle, metadata.ContentLength, checksums);
            if (!ObjectFile.TryWriteHeader(temp.Handle, metadata))
            {
                ReleaseReservation(reservedBytes);
                return null;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(temp.Path, target, overwrite: true);
        }
        catch (IOException ex)
        {
            LogPublishFailed(_logger, metadata.Key, ex);
            ReleaseReservation(reservedBytes);
            return null;
        }

        // Metadata and checksums are on disk now; the entry reads them at its first hit, so idle objects cost no more.
        var entry = new CacheEntry(hash, _objectsPath, size);
        lock (_budgetLock)
        {
            // The rename already replaced an older file of the same key; only its entry goes.
            if (_entries.TryGetValue(hash, out var existing) && Detach(existing))
            {
                _policy.OnRemoved(existing);
            }

            _entries[hash] = entry;
            _usedBytes += size;
            _reservedBytes -= reservedBytes;
            _policy.OnInserted(entry, restored: false);
        }

        ObjectChanged?.Invoke(hash);
        return entry;
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
            if (RandomAccess.Read(lease.Handle, bytes, ObjectFile.HeaderSize) != length)
            {
                Remove(hash);
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

    /// <summary>Called when a checksum check outside the serving path finds a corrupt object.</summary>
    public Action? IntegrityFailures { get; set; }

    /// <summary>Rewrites a stored object's header block with refreshed metadata (after a 304); the body stays.</summary>
    public bool Refresh(UInt128 hash, ObjectMetadata metadata)
    {
        if (!_entries.TryGetValue(hash, out var entry) || entry.IsRemoved)
        {
            return false;
        }

        try
        {
            using var handle = File.OpenHandle(entry.FilePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            if (!ObjectFile.TryWriteHeader(handle, metadata))
            {
                Remove(entry);
                return false;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogPublishFailed(_logger, metadata.Key, ex);
            Remove(entry);
            return false;
        }

        entry.UpdateMetadata(metadata);
        ObjectChanged?.Invoke(hash);
        return true;
    }

    /// <summary>Removes an object (purge, corruption); readers holding a lease finish their response.</summary>
    public bool Remove(UInt128 hash) => _entries.TryGetValue(hash, out var entry) && Remove(entry);

    /// <summary>Set when a write found the disk full; cleared by the next object that is published.</summary>
    public string? DiskFull => Volatile.Read(ref _diskFull);

    /// <summary>ENOSPC on Linux, ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(IOException exception) => exception.HResult is 28 or 112 or 39 or unchecked((int)0x80070070) or unchecked((int)0x80070027);

    public void ReportDiskFull(string detail) => Volatile.Write(ref _diskFull, detail);

    public bool IsUsable(out string? problem)
    {
        try
        {
            Directory.CreateDirectory(_tempPath);
            var probe = Path.Combine(_tempPath, ".ready-probe");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            problem = null;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = ex.Message;
            return false;
        }
    }

    public void Dispose()
    {
        foreach (var entry in _entries.Values)
        {
            entry.MarkRemoved();
            _files.Forget(entry);
        }
    }

    private bool Remove(CacheEntry entry)
    {
        bool detached;
        lock (_budgetLock)
        {
            detached = Detach(entry);
            if (detached)
            {
                _policy.OnRemoved(entry);
            }
        }

        if (detached)
        {
            DeleteFile(entry.FilePath);
            ObjectChanged?.Invoke(entry.Hash);
        }

        return detached;
    }

    // Caller holds _budgetLock.
    private bool Detach(CacheEntry entry)
    {
        if (!entry.MarkRemoved())
        {
            return false;
        }

        _files.Forget(entry);

        _entries.TryRemove(new KeyValuePair<UInt128, CacheEntry>(entry.Hash, entry));
        _usedBytes -= entry.SizeOnDisk;
        return true;
    }

    private string ObjectPath(UInt128 hash) => ObjectPathOf(_objectsPath, hash);

    /// <summary>An object's file: <c>objects/{first two hex digits}/{hash}</c>.</summary>
    internal static string ObjectPathOf(string objectsRoot, UInt128 hash)
    {
        var name = CacheKey.FileName(hash);
        return Path.Combine(objectsRoot, name[..2], name);
    }

    private void DeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException ex)
        {
            LogDeleteFailed(_logger, path, ex);
        }
    }

    private void SavePins()
    {
        var temp = _pinsPath + ".tmp";
        File.WriteAllText(temp, System.Text.Json.JsonSerializer.Serialize(_pins, PinsJsonContext.Default.StringArray));
        File.Move(temp, _pinsPath, overwrite: true);
    }

    private void Load()
    {
        Directory.CreateDirectory(_objectsPath);
        if (File.Exists(_pinsPath))
        {
            try
            {
                _pins = System.Text.Json.JsonSerializer.Deserialize(File.ReadAllText(_pinsPath), PinsJsonContext.Default.StringArray) ?? [];
            }
            catch (System.Text.Json.JsonException ex)
            {
                LogPinsUnreadable(_logger, _pinsPath, ex.Message);
            }
        }

        // Anything in tmp/ is a fill that never finished (crash, kill); it was never visible.
        if (Directory.Exists(_tempPath))
        {
            foreach (var leftover in Directory.EnumerateFiles(_tempPath))
            {
                DeleteFile(leftover);
            }
        }

        Directory.CreateDirectory(_tempPath);

        // Directory listings give name, size and time: enough to rebuild the index without opening files.
        var found = new List<(FileInfo File, UInt128 Hash)>();
        foreach (var file in new DirectoryInfo(_objectsPath).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            // Entries keep no path: a file is only found where its hash puts it.
            if (CacheKey.TryParseFileName(file.Name, out var hash) && file.Length >= ObjectFile.HeaderSize
                && string.Equals(file.FullName, ObjectPath(hash), StringComparison.Ordinal))
            {
                found.Add((file, hash));
            }
            else
            {
                DeleteFile(file.FullName);
            }
        }

        found.Sort((a, b) => a.File.LastWriteTimeUtc.CompareTo(b.File.LastWriteTimeUtc));
        lock (_budgetLock)
        {
            foreach (var (file, hash) in found)
            {
                var entry = new CacheEntry(hash, _objectsPath, file.Length);
                _entries[hash] = entry;
                _usedBytes += file.Length;
                _policy.OnInserted(entry, restored: true);
            }
        }

        LogLoaded(_logger, _entries.Count, _usedBytes, MaxBytes, _policy.Name);

        // The budget may have shrunk since the last run.
        if (_usedBytes > MaxBytes)
        {
            TryReserve(0);
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Disk cache holds {Count} objects, {UsedBytes} of {MaxBytes} bytes, eviction policy {Policy}")]
    private static partial void LogLoaded(ILogger logger, int count, long usedBytes, long maxBytes, string policy);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Cached object {Path} is not a whole object; removed")]
    private static partial void LogCorruptObject(ILogger logger, string path);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Could not publish {Key}")]
    private static partial void LogPublishFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Could not delete {Path}")]
    private static partial void LogDeleteFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Pins file {Path} is unreadable and was ignored: {Reason}")]
    private static partial void LogPinsUnreadable(ILogger logger, string path, string reason);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class PinsJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>A fill's temporary file; disposing it deletes the file unless it was published.</summary>
internal sealed class TempObject(string path, SafeFileHandle handle) : IDisposable
{
    public string Path { get; } = path;

    public SafeFileHandle Handle { get; } = handle;

    public void Dispose()
    {
        Handle.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Left for the start-up sweep of tmp/.
        }
    }
}
