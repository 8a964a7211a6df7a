using System.Buffers.Binary;
using System.IO.Enumeration;
using Edge.EdgeServer.Caching.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Caching;

/// <summary>Whether a cache disk serves: its index is being built, it is in service, or it failed and is watched.</summary>
internal enum DiskState
{
    Loading,
    Online,
    Failed,
}

/// <summary>
/// One cache disk (a directory, usually a mount point): its compact index, byte budget, eviction policy and state. A
/// disk whose files fail (I/O errors, read-only, unmounted) is taken out of service: its index is dropped, so its
/// objects are misses that fill onto the other disks, and it is used again once its index is rebuilt.
/// </summary>
internal sealed partial class CacheDisk : IDisposable
{
    private const string ObjectsFolder = "objects";
    private const string TempFolder = "tmp";
    private const string MarkerFile = "disk.id";
    private const string SnapshotFile = "index.bin";
    private const int Subfolders = 256;

    // Pinned objects the eviction policy offers are put back; past this many in one reservation, it gives up.
    private const int MaxPinnedSkips = 4096;

    private static ReadOnlySpan<byte> SnapshotMagic => "EDGEIDX1"u8;

    // Opens are rare and short: a lock per object would cost every idle object its own lock.
    private static readonly Lock[] OpenLocks = [.. Enumerable.Range(0, 256).Select(_ => new Lock())];

    private readonly string _policyName;
    private readonly OpenFileCache _files;
    private readonly ICacheFileSystem _fs;
    private readonly Func<string, bool> _isPinned;
    private readonly Func<bool> _hasPins;
    private readonly ILogger _logger;
    private readonly Lock _stateLock = new();
    private readonly string _markerPath;
    private readonly string _snapshotPath;
    private volatile DiskIndex? _index;
    private volatile string? _problem;
    private volatile string? _diskFull;
    private string? _marker;
    private DiskState _state = DiskState.Loading;
    private long _errors;
    private long _evictions;
    private long _evictedBytes;
    private int _probing;

    public CacheDisk(int number, string root, long maxBytes, string policy, OpenFileCache files, ICacheFileSystem fileSystem, Func<bool> hasPins, Func<string, bool> isPinned, ILogger logger)
    {
        Number = number;
        Root = Path.GetFullPath(root);
        ObjectsPath = Path.Combine(Root, ObjectsFolder);
        TempPath = Path.Combine(Root, TempFolder);
        _markerPath = Path.Combine(Root, MarkerFile);
        _snapshotPath = Path.Combine(Root, SnapshotFile);
        MaxBytes = maxBytes;
        _policyName = policy;
        _files = files;
        _fs = fileSystem;
        _hasPins = hasPins;
        _isPinned = isPinned;
        _logger = logger;
    }

    /// <summary>Raised after an object leaves this disk (evicted, purged, replaced, refreshed), so copies elsewhere go too.</summary>
    public event Action<UInt128>? ObjectChanged;

    /// <summary>Its place in <c>Edge:CacheDirectories</c>, from 1: how the node names it to anyone who may not see paths.</summary>
    public int Number { get; }

    public string Root { get; }

    public string ObjectsPath { get; }

    public string TempPath { get; }

    public long MaxBytes { get; }

    public DiskState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    public bool IsOnline => _index is not null;

    /// <summary>Why the disk is out of service, or null.</summary>
    public string? Problem => _problem;

    /// <summary>I/O errors met on this disk's files, missing files included.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    public int Count => _index?.Table.Count ?? 0;

    public long UsedBytes => _index is { } index ? Interlocked.Read(ref index.Used) : 0;

    public long ReservedBytes => _index is { } index ? Interlocked.Read(ref index.Reserved) : 0;

    public long Evictions => Interlocked.Read(ref _evictions);

    public long EvictedBytes => Interlocked.Read(ref _evictedBytes);

    /// <summary>Memory the index takes, in bytes (its table and the eviction policy's ghost list).</summary>
    public long IndexBytes => _index?.Table.Bytes ?? 0;

    /// <summary>What the last load took from the index snapshot and what it listed.</summary>
    public (int FromSnapshot, int Listed) LastLoad { get; private set; }

    /// <summary>Set when a write found this disk full; cleared by the next object published on it.</summary>
    public string? DiskFull => _diskFull;

    public void ReportDiskFull(string detail) => _diskFull = detail;

    /// <summary>Looks up an object and takes a reference on its file. The hit path.</summary>
    public bool TryAcquire(UInt128 hash, string key, out CacheLease lease)
    {
        lease = default;
        var index = _index;
        if (index is null)
        {
            return false;
        }

        var slot = index.Table.Find(hash);
        if (slot == EntryTable.None)
        {
            return false;
        }

        // An idle close can race a hit: the handle read here may be closed before the reference is taken; open again.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var open = index.Table.OpenOf(slot) ?? Open(index, slot, hash);
            if (open is null || open.Hash != hash || !string.Equals(open.Metadata.Key, key, StringComparison.Ordinal))
            {
                return false;
            }

            var added = false;
            try
            {
                open.Handle.DangerousAddRef(ref added);
            }
            catch (ObjectDisposedException)
            {
                if (_index != index || !Holds(index, slot, hash))
                {
                    return false;
                }

                continue;
            }

            if (!added)
            {
                return false;
            }

            open.MarkReferenced();
            var hits = index.Table.AddHit(slot);
            index.Policy.OnHit(slot);
            lease = new CacheLease(open.Handle, open.Metadata, open.Checksums, hits);
            return true;
        }

        return false;
    }

    public bool Contains(UInt128 hash) => _index is { } index && index.Table.Find(hash) != EntryTable.None;

    /// <summary>An object's metadata without keeping its file open; null when it is not here or not whole.</summary>
    public ObjectMetadata? GetMetadata(UInt128 hash)
    {
        var index = _index;
        var slot = index?.Table.Find(hash) ?? EntryTable.None;
        if (slot == EntryTable.None)
        {
            return null;
        }

        if (index!.Table.OpenOf(slot) is { } open && open.Hash == hash)
        {
            return open.Metadata;
        }

        return ReadMetadata(hash);
    }

    /// <summary>Creates the temporary file a fill writes into, on this disk.</summary>
    public TempObject CreateTemp()
    {
        var index = _index ?? throw new IOException($"cache disk {Root} is out of service");
        var path = Path.Combine(TempPath, Guid.NewGuid().ToString("N") + ".part");
        SafeFileHandle handle;
        try
        {
            try
            {
                handle = _fs.CreateNew(path);
            }
            catch (IOException ex) when (FileLimits.IsOutOfDescriptors(ex) && _files.CloseIdle() > 0)
            {
                handle = _fs.CreateNew(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && !FileLimits.IsOutOfDescriptors(ex))
        {
            ReportError(ex);
            throw ex as IOException ?? new IOException(ex.Message, ex);
        }

        return new TempObject(path, handle, this, index);
    }

    /// <summary>Reserves space for a fill on this disk, evicting as needed; false if the budget cannot hold it.</summary>
    public bool TryReserve(TempObject temp, long bytes) => TryReserve(temp.Index, bytes);

    private bool TryReserve(DiskIndex index, long bytes)
    {
        if (bytes > MaxBytes || _index != index)
        {
            return false;
        }

        List<(UInt128 Hash, long Size)>? victims = null;
        List<int>? pinned = null;
        bool reserved;
        lock (index.Sync)
        {
            while (index.Used + index.Reserved + bytes > MaxBytes)
            {
                var victim = index.Policy.SelectVictim();
                if (victim == EntryTable.None)
                {
                    break;
                }

                if (IsPinned(index, victim))
                {
                    (pinned ??= []).Add(victim);
                    if (pinned.Count >= MaxPinnedSkips)
                    {
                        break;
                    }

                    continue;
                }

                var size = index.Table.SizeOf(victim);
                var hash = index.Table.HashOf(victim);
                if (Detach(index, victim))
                {
                    (victims ??= []).Add((hash, size));
                }
            }

            foreach (var keep in pinned ?? [])
            {
                index.Policy.OnInserted(keep, restored: true);
            }

            reserved = index.Used + index.Reserved + bytes <= MaxBytes;
            if (reserved)
            {
                index.Reserved += bytes;
            }
        }

        foreach (var (hash, size) in victims ?? [])
        {
            Interlocked.Increment(ref _evictions);
            Interlocked.Add(ref _evictedBytes, size);
            DeleteFile(ObjectPath(hash));
            ObjectChanged?.Invoke(hash);
        }

        return reserved;
    }

    /// <summary>
    /// Writes the header block and renames the temporary file into place, so the object appears whole or not at all.
    /// <paramref name="reservedBytes"/> must cover the file's size.
    /// </summary>
    public bool Publish(TempObject temp, ObjectMetadata metadata, long reservedBytes, ulong[]? checksums)
    {
        var size = ObjectFile.SizeOnDisk(metadata.ContentLength);
        var hash = CacheKey.Hash(metadata.Key);
        var index = temp.Index;
        try
        {
            if (size > reservedBytes || _index != index)
            {
                temp.ReleaseReservation(reservedBytes);
                return false;
            }

            checksums ??= ObjectFile.ComputeChecksums(temp.Handle, metadata.ContentLength);
            ObjectFile.WriteChecksums(temp.Handle, metadata.ContentLength, checksums);
            if (!ObjectFile.TryWriteHeader(temp.Handle, metadata))
            {
                temp.ReleaseReservation(reservedBytes);
                return false;
            }

            _fs.Move(temp.Path, ObjectPath(hash));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogPublishFailed(_logger, metadata.Key, Root, ex);
            temp.ReleaseReservation(reservedBytes);
            ReportError(ex);
            return false;
        }

        _diskFull = null;
        lock (index.Sync)
        {
            // The rename already replaced an older file of the same key; only its record goes.
            var existing = index.Table.Find(hash);
            if (existing != EntryTable.None)
            {
                Detach(index, existing);
            }

            var slot = index.Table.Add(hash, size, EntryQueue.Held);
            index.Used += size;
            index.Reserved -= reservedBytes;
            index.Policy.OnInserted(slot, restored: false);
        }

        ObjectChanged?.Invoke(hash);
        return true;
    }

    /// <summary>Rewrites a stored object's header block with refreshed metadata (after a 304); the body stays.</summary>
    public bool Refresh(UInt128 hash, ObjectMetadata metadata)
    {
        var index = _index;
        var slot = index?.Table.Find(hash) ?? EntryTable.None;
        if (slot == EntryTable.None)
        {
            return false;
        }

        try
        {
            using var handle = _fs.OpenWrite(ObjectPath(hash));
            if (!ObjectFile.TryWriteHeader(handle, metadata))
            {
                Remove(hash);
                return false;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogPublishFailed(_logger, metadata.Key, Root, ex);
            ReportError(ex);
            Remove(hash);
            return false;
        }

        if (index!.Table.OpenOf(slot) is { } open && open.Hash == hash)
        {
            open.Metadata = metadata;
        }

        ObjectChanged?.Invoke(hash);
        return true;
    }

    /// <summary>Removes an object (purge, corruption); readers holding a lease finish their response.</summary>
    public bool Remove(UInt128 hash)
    {
        var index = _index;
        if (index is null)
        {
            return false;
        }

        bool removed;
        lock (index.Sync)
        {
            var slot = index.Table.Find(hash);
            removed = slot != EntryTable.None && Detach(index, slot);
        }

        if (removed)
        {
            DeleteFile(ObjectPath(hash));
            ObjectChanged?.Invoke(hash);
        }

        return removed;
    }

    /// <summary>The hashes and sizes of every object whose key starts with <paramref name="prefix"/>; reads each object's header.</summary>
    public List<(UInt128 Hash, long Size)> Find(string prefix)
    {
        var found = new List<(UInt128, long)>();
        if (_index is not { } index)
        {
            return found;
        }

        (UInt128 Hash, long Size)[] objects;
        lock (index.Sync)
        {
            objects = [.. index.Table.UsedSlots().Select(slot => (index.Table.HashOf(slot), index.Table.SizeOf(slot)))];
        }

        foreach (var (hash, size) in objects)
        {
            if (GetMetadata(hash) is { } metadata && metadata.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                found.Add((hash, size));
            }
        }

        return found;
    }

    /// <summary>Closes an idle object's handle (the open-file cache chose it); its next hit opens it again.</summary>
    public void CloseIdle(OpenObject open)
    {
        _index?.Table.ClearOpen(open.Slot, open);
        open.Handle.Dispose();
    }

    /// <summary>
    /// Counts an I/O error and checks the disk: if it no longer works (its marker unreadable, no file can be made), it
    /// is taken out of service. A single bad file leaves the disk in service.
    /// </summary>
    public void ReportError(Exception exception)
    {
        Interlocked.Increment(ref _errors);
        LogDiskError(_logger, Root, exception.Message);
        if (Interlocked.Exchange(ref _probing, 1) != 0)
        {
            return;
        }

        try
        {
            if (IsOnline && !Probe(out var problem))
            {
                Fail(problem);
            }
        }
        finally
        {
            Volatile.Write(ref _probing, 0);
        }
    }

    /// <summary>Whether the disk works: its marker is the one it was given, and a file can be made and removed in it.</summary>
    public bool Probe(out string problem)
    {
        try
        {
            if (_marker is not null)
            {
                if (!string.Equals(ReadMarker(), _marker, StringComparison.Ordinal))
                {
                    problem = $"{MarkerFile} in {Root} is not this disk's (was another disk mounted here?)";
                    return false;
                }
            }

            var probe = Path.Combine(TempPath, ".probe-" + Guid.NewGuid().ToString("N"));
            using (var handle = _fs.CreateNew(probe))
            {
                RandomAccess.Write(handle, "ok"u8, 0);
            }

            _fs.Delete(probe);
            problem = "";
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = ex is FileNotFoundException or DirectoryNotFoundException
                ? $"{Root} has lost its files (unmounted?): {ex.Message.TrimEnd('.')}"
                : $"{Root}: {ex.Message.TrimEnd('.')}";
            return false;
        }
    }

    /// <summary>Takes the disk out of service: its index is dropped and its open files closed; leases keep reading.</summary>
    public void Fail(string problem)
    {
        DiskIndex? index;
        lock (_stateLock)
        {
            if (_state == DiskState.Failed)
            {
                return;
            }

            _state = DiskState.Failed;
            _problem = problem;
            index = _index;
            _index = null;
        }

        LogDiskFailed(_logger, Number, Root, problem);
        if (index is not null)
        {
            CloseAll(index);
        }
    }

    /// <summary>
    /// Builds the index from the snapshot written at the last clean stop, re-listing only the folders that changed since
    /// (or everything, without one); the objects' files are not opened. The first load makes an empty directory a new
    /// disk (it gets a marker); later loads, after a failure, need that marker back.
    /// </summary>
    public bool Load()
    {
        lock (_stateLock)
        {
            _state = DiskState.Loading;
        }

        try
        {
            PrepareFolders();
            var table = new EntryTable();
            var policy = CreatePolicy(_policyName, table, MaxBytes);
            var index = new DiskIndex(table, policy);
            var (fromSnapshot, listed) = Build(index);
            LastLoad = (fromSnapshot, listed);
            lock (_stateLock)
            {
                _problem = null;
                _state = DiskState.Online;
                _index = index;
            }

            LogLoaded(_logger, Number, Root, table.Count, index.Used, MaxBytes, policy.Name, fromSnapshot, listed);

            // The budget may have shrunk since the last run.
            if (index.Used > MaxBytes)
            {
                TryReserve(index, 0);
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            lock (_stateLock)
            {
                _state = DiskState.Failed;
                _problem = $"{Root}: {ex.Message}";
            }

            LogDiskFailed(_logger, Number, Root, ex.Message);
            return false;
        }
    }

    /// <summary>The objects of this disk that <paramref name="elsewhere"/> says another disk holds are dropped from it.</summary>
    public int DropWhere(Func<UInt128, bool> elsewhere)
    {
        if (_index is not { } index)
        {
            return 0;
        }

        UInt128[] hashes;
        lock (index.Sync)
        {
            hashes = [.. index.Table.UsedSlots().Select(index.Table.HashOf).Where(elsewhere)];
        }

        return hashes.Count(Remove);
    }

    /// <summary>Writes the index to a snapshot so the next start reads it instead of listing every file.</summary>
    public void SaveSnapshot()
    {
        if (_index is not { } index)
        {
            return;
        }

        var temp = _snapshotPath + ".tmp";
        try
        {
            lock (index.Sync)
            {
                var order = index.Policy.EvictionOrder().ToList();
                using var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
                Span<byte> header = stackalloc byte[8 + 4 + (8 * Subfolders)];
                SnapshotMagic.CopyTo(header);
                BinaryPrimitives.WriteInt32LittleEndian(header[8..], order.Count);
                for (var i = 0; i < Subfolders; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(header[(12 + (8 * i))..], FolderStamp(i));
                }

                stream.Write(header);
                Span<byte> record = stackalloc byte[24];
                foreach (var slot in order)
                {
                    BinaryPrimitives.WriteUInt128LittleEndian(record, index.Table.HashOf(slot));
                    BinaryPrimitives.WriteInt64LittleEndian(record[16..], index.Table.SizeOf(slot));
                    stream.Write(record);
                }
            }

            File.Move(temp, _snapshotPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogSnapshotFailed(_logger, Root, ex.Message);
        }
    }

    public void Dispose()
    {
        if (_index is { } index)
        {
            SaveSnapshot();
            CloseAll(index);
        }
    }

    /// <summary>An object's file: <c>objects/{first two hex digits}/{hash}</c>.</summary>
    internal static string ObjectPathOf(string objectsRoot, UInt128 hash)
    {
        var name = CacheKey.FileName(hash);
        return Path.Combine(objectsRoot, name[..2], name);
    }

    private string ObjectPath(UInt128 hash) => ObjectPathOf(ObjectsPath, hash);

    private static IEvictionPolicy CreatePolicy(string name, EntryTable table, long maxBytes) =>
        string.Equals(name, Configuration.EvictionPolicies.Lru, StringComparison.OrdinalIgnoreCase)
            ? new LruEvictionPolicy(table)
            : new S3FifoEvictionPolicy(table, maxBytes);

    private static bool Holds(DiskIndex index, int slot, UInt128 hash) => index.Table.IsUsed(slot) && index.Table.HashOf(slot) == hash;

    private OpenObject? Open(DiskIndex index, int slot, UInt128 hash)
    {
        OpenObject opened;
        lock (OpenLocks[(int)(hash & 0xFF)])
        {
            if (index.Table.OpenOf(slot) is { } current && current.Hash == hash)
            {
                return current;
            }

            if (_index != index || !Holds(index, slot, hash))
            {
                return null;
            }

            SafeFileHandle handle;
            try
            {
                handle = OpenRead(ObjectPath(hash));
            }
            catch (Exception ex) when ((ex is IOException or UnauthorizedAccessException) && !FileLimits.IsOutOfDescriptors(ex))
            {
                // A missing file is one lost object unless the whole disk went; the check tells which.
                ReportError(ex);
                if (ex is FileNotFoundException)
                {
                    RemoveCorrupt(hash);
                }

                return null;
            }

            try
            {
                if (!ObjectFile.TryReadHeader(handle, out var header) || header is null)
                {
                    handle.Dispose();
                    RemoveCorrupt(hash);
                    return null;
                }

                opened = new OpenObject(this, slot, hash, handle, header, ObjectFile.ReadChecksums(handle, header.ContentLength));
            }
            catch (IOException ex)
            {
                handle.Dispose();
                ReportError(ex);
                RemoveCorrupt(hash);
                return null;
            }

            OpenObject installed;
            lock (index.Sync)
            {
                installed = _index == index && Holds(index, slot, hash) ? index.Table.InstallOpen(slot, opened) : null!;
            }

            if (installed != opened)
            {
                handle.Dispose();
                return installed;
            }
        }

        _files.Opened(opened);
        return opened;
    }

    private void RemoveCorrupt(UInt128 hash)
    {
        if (IsOnline && Remove(hash))
        {
            LogCorruptObject(_logger, ObjectPath(hash));
        }
    }

    /// <summary>Opens the file; out of descriptors, closes idle handles and tries once more, then lets EMFILE through.</summary>
    private SafeFileHandle OpenRead(string path)
    {
        try
        {
            return _fs.OpenRead(path);
        }
        catch (IOException ex) when (FileLimits.IsOutOfDescriptors(ex) && _files.CloseIdle() > 0)
        {
            return _fs.OpenRead(path);
        }
    }

    private ObjectMetadata? ReadMetadata(UInt128 hash)
    {
        try
        {
            using var handle = _fs.OpenRead(ObjectPath(hash));

            // Not kept: metadata stays in memory only while the file is open (the open-file cache bounds that).
            return ObjectFile.TryReadHeader(handle, out var header) ? header : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private bool IsPinned(DiskIndex index, int slot) =>
        _hasPins() && ReadMetadata(index.Table.HashOf(slot)) is { } metadata && _isPinned(metadata.Key);

    // Caller holds index.Sync.
    private bool Detach(DiskIndex index, int slot)
    {
        if (!index.Table.IsUsed(slot))
        {
            return false;
        }

        if (index.Table.OpenOf(slot) is { } open && index.Table.ClearOpen(slot, open))
        {
            _files.Forget(open);
            open.Handle.Dispose();
        }

        index.Policy.OnRemoved(slot);
        index.Used -= index.Table.SizeOf(slot);
        index.Table.Remove(slot);
        return true;
    }

    private void CloseAll(DiskIndex index)
    {
        lock (index.Sync)
        {
            foreach (var slot in index.Table.UsedSlots())
            {
                if (index.Table.OpenOf(slot) is { } open && index.Table.ClearOpen(slot, open))
                {
                    _files.Forget(open);
                    open.Handle.Dispose();
                }
            }
        }
    }

    private void DeleteFile(string path)
    {
        try
        {
            _fs.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogDeleteFailed(_logger, path, ex.Message);
        }
    }

    private void PrepareFolders()
    {
        if (File.Exists(_markerPath))
        {
            var marker = ReadMarker();
            if (_marker is not null && !string.Equals(marker, _marker, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{MarkerFile} is not this disk's");
            }

            _marker = marker;
        }
        else if (_marker is null)
        {
            // A disk seen for the first time gets its marker; a lost marker later means the disk is not mounted.
            Directory.CreateDirectory(Root);
            _marker = Guid.NewGuid().ToString("N");
            File.WriteAllText(_markerPath + ".tmp", _marker);
            File.Move(_markerPath + ".tmp", _markerPath, overwrite: true);
        }
        else
        {
            throw new DirectoryNotFoundException($"{MarkerFile} is missing from {Root} (not mounted?)");
        }

        // Anything in tmp/ is a fill that never finished (crash, kill, failure); it was never visible.
        if (Directory.Exists(TempPath))
        {
            foreach (var leftover in Directory.EnumerateFiles(TempPath))
            {
                DeleteFile(leftover);
            }
        }

        Directory.CreateDirectory(TempPath);

        // All 256 folders exist from the start, so a fill never creates one: a missing folder means a failing disk.
        for (var i = 0; i < Subfolders; i++)
        {
            Directory.CreateDirectory(Path.Combine(ObjectsPath, i.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    private string ReadMarker()
    {
        using var handle = _fs.OpenRead(_markerPath);
        var bytes = new byte[64];
        var read = RandomAccess.Read(handle, bytes, 0);
        return System.Text.Encoding.ASCII.GetString(bytes, 0, read).Trim();
    }

    private long FolderStamp(int folder) =>
        Directory.GetLastWriteTimeUtc(Path.Combine(ObjectsPath, folder.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))).Ticks;

    private (int FromSnapshot, int Listed) Build(DiskIndex index)
    {
        var unchanged = new bool[Subfolders];
        var records = ReadSnapshot(unchanged);
        var listed = new List<(UInt128 Hash, long Size, long Time)>[Subfolders];

        // Listing is mostly waiting on the file system: folders are listed in parallel.
        Parallel.For(0, Subfolders, folder =>
        {
            if (!unchanged[folder])
            {
                listed[folder] = List(folder);
            }
        });

        var found = new List<(UInt128 Hash, long Size, long Time)>(listed.Sum(l => l?.Count ?? 0));
        for (var folder = 0; folder < Subfolders; folder++)
        {
            if (listed[folder] is { } files)
            {
                found.AddRange(files);
                listed[folder] = null!;
            }
        }

        found.Sort((a, b) => a.Time.CompareTo(b.Time));
        var kept = records?.Count(r => unchanged[(int)(r.Hash >> 120)]) ?? 0;
        index.Table.EnsureCapacity(kept + found.Count);
        lock (index.Sync)
        {
            if (records is not null)
            {
                foreach (var (hash, size) in records)
                {
                    if (unchanged[(int)(hash >> 120)] && index.Table.Find(hash) == EntryTable.None)
                    {
                        Insert(index, hash, size);
                    }
                }
            }

            foreach (var (hash, size, _) in found)
            {
                if (index.Table.Find(hash) == EntryTable.None)
                {
                    Insert(index, hash, size);
                }
            }
        }

        // Nothing of the listing outlives the load: the index is the records alone.
        var listedCount = found.Count;
        found.Clear();
        found.TrimExcess();
        records?.Clear();
        records?.TrimExcess();
        return (kept, listedCount);
    }

    private static void Insert(DiskIndex index, UInt128 hash, long size)
    {
        var slot = index.Table.Add(hash, size, EntryQueue.Held);
        index.Used += size;
        index.Policy.OnInserted(slot, restored: true);
    }

    // The snapshot's records, marking the folders that have not changed since it was written; null without one.
    private List<(UInt128 Hash, long Size)>? ReadSnapshot(bool[] unchanged)
    {
        if (!File.Exists(_snapshotPath))
        {
            return null;
        }

        try
        {
            using var stream = new FileStream(_snapshotPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            var header = new byte[8 + 4 + (8 * Subfolders)];
            stream.ReadExactly(header);
            var count = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
            if (!header.AsSpan(0, 8).SequenceEqual(SnapshotMagic) || count < 0 || stream.Length != header.Length + (24L * count))
            {
                return null;
            }

            for (var i = 0; i < Subfolders; i++)
            {
                unchanged[i] = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(12 + (8 * i))) == FolderStamp(i);
            }

            var records = new List<(UInt128, long)>(count);
            var buffer = new byte[24 * 4096];
            var left = count;
            while (left > 0)
            {
                var take = Math.Min(left, 4096);
                stream.ReadExactly(buffer, 0, take * 24);
                for (var i = 0; i < take; i++)
                {
                    var record = buffer.AsSpan(i * 24, 24);
                    records.Add((BinaryPrimitives.ReadUInt128LittleEndian(record), BinaryPrimitives.ReadInt64LittleEndian(record[16..])));
                }

                left -= take;
            }

            return records;
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException)
        {
            Array.Clear(unchanged);
            LogSnapshotFailed(_logger, Root, ex.Message);
            return null;
        }
    }

    // Name, size and time come from the directory listing: no object file is opened.
    private List<(UInt128 Hash, long Size, long Time)> List(int folder)
    {
        var path = Path.Combine(ObjectsPath, folder.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        var files = new FileSystemEnumerable<(bool Valid, UInt128 Hash, long Size, long Time, string Path)>(
            path,
            (ref FileSystemEntry entry) =>
            {
                var valid = CacheKey.TryParseFileName(entry.FileName, out var hash) && (int)(hash >> 120) == folder && entry.Length >= ObjectFile.HeaderSize;
                return (valid, hash, entry.Length, entry.LastWriteTimeUtc.UtcTicks, valid ? "" : entry.ToFullPath());
            },
            new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = 0 })
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory,
        };

        var found = new List<(UInt128, long, long)>();
        foreach (var (valid, hash, size, time, invalid) in files)
        {
            if (valid)
            {
                found.Add((hash, size, time));
            }
            else
            {
                // Entries keep no path: a file is only found where its hash puts it.
                DeleteFile(invalid);
            }
        }

        return found;
    }

    /// <summary>One build of the disk's index: dropped whole when the disk fails, so nothing of it is used again.</summary>
    internal sealed class DiskIndex(EntryTable table, IEvictionPolicy policy)
    {
        public readonly Lock Sync = new();
        public long Used;
        public long Reserved;

        public EntryTable Table { get; } = table;

        public IEvictionPolicy Policy { get; } = policy;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Cache disk {Number} ({Root}) holds {Count} objects, {UsedBytes} of {MaxBytes} bytes, eviction policy {Policy}; {FromSnapshot} from its index snapshot, {Listed} listed")]
    private static partial void LogLoaded(ILogger logger, int number, string root, int count, long usedBytes, long maxBytes, string policy, int fromSnapshot, int listed);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Cached object {Path} is not a whole object; removed")]
    private static partial void LogCorruptObject(ILogger logger, string path);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Could not publish {Key} on {Root}")]
    private static partial void LogPublishFailed(ILogger logger, string key, string root, Exception exception);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Could not delete {Path}: {Reason}")]
    private static partial void LogDeleteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "Cache disk {Number} ({Root}) is out of service: {Problem}. Its objects are filled onto the other disks; it is checked again and used once it works.")]
    private static partial void LogDiskFailed(ILogger logger, int number, string root, string problem);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "I/O error on cache disk {Root}: {Reason}")]
    private static partial void LogDiskError(ILogger logger, string root, string reason);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Index snapshot of {Root} not used or not written: {Reason}")]
    private static partial void LogSnapshotFailed(ILogger logger, string root, string reason);
}

/// <summary>
/// A fill's temporary file on one disk, and the space reserved for it there; disposing it deletes the file unless it
/// was published.
/// </summary>
internal sealed class TempObject : IDisposable
{
    private readonly SafeFileHandle _handle;

    public TempObject(string path, SafeFileHandle handle, CacheDisk disk, CacheDisk.DiskIndex index)
    {
        Path = path;
        _handle = handle;
        Disk = disk;
        Index = index;
    }

    public string Path { get; }

    public SafeFileHandle Handle => _handle;

    public CacheDisk Disk { get; }

    /// <summary>The disk's index the reservation was made in; a disk that failed since has a new one.</summary>
    internal CacheDisk.DiskIndex Index { get; }

    /// <summary>Reserves space for this fill on its disk, evicting as needed; false if the budget cannot hold it.</summary>
    public bool TryReserve(long bytes) => Disk.TryReserve(this, bytes);

    public void ReleaseReservation(long bytes)
    {
        lock (Index.Sync)
        {
            Index.Reserved -= bytes;
        }
    }

    /// <summary>The fill found its disk full.</summary>
    public void ReportDiskFull(string detail) => Disk.ReportDiskFull(detail);

    /// <summary>A write to this file failed: the disk is checked.</summary>
    public void ReportWriteError(IOException exception) => Disk.ReportError(exception);

    public void Dispose()
    {
        _handle.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the start-up sweep of tmp/.
        }
    }
}
