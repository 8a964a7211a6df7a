using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// One published object. Its file handle and checksums are opened on first use and kept while the object is hot,
/// so hits do no open/stat/parse work; the <see cref="OpenFileCache"/> closes the handles of idle objects. Readers
/// hold a reference on the handle, so neither eviction nor an idle close ever closes it under them.
/// </summary>
internal sealed class CacheEntry
{
    private readonly Lock _sync = new();
    private SafeFileHandle? _handle;
    private ObjectMetadata? _metadata;
    private ulong[]? _checksums;
    private LinkedListNode<CacheEntry>? _openNode;
    private int _removed;
    private int _referenced;
    private int _frequency;
    private int _hits;

    private readonly string _objectsRoot;

    /// <param name="objectsRoot">The cache's objects folder; the file's path is derived from it and the hash, not stored.</param>
    public CacheEntry(UInt128 hash, string objectsRoot, long sizeOnDisk, ObjectMetadata? metadata = null, SafeFileHandle? handle = null, ulong[]? checksums = null)
    {
        Hash = hash;
        _objectsRoot = objectsRoot;
        SizeOnDisk = sizeOnDisk;
        _metadata = metadata;
        _handle = handle;
        _checksums = checksums;
    }

    public UInt128 Hash { get; }

    public string FilePath => DiskCache.ObjectPathOf(_objectsRoot, Hash);

    /// <summary>Bytes the object takes on disk, header block included.</summary>
    public long SizeOnDisk { get; }

    public bool IsRemoved => Volatile.Read(ref _removed) != 0;

    /// <summary>Accesses since the policy last looked, capped at 3 (S3-FIFO's counter).</summary>
    public int Frequency => Volatile.Read(ref _frequency);

    /// <summary>Policy bookkeeping; only the eviction policy touches these, under the cache's lock.</summary>
    internal LinkedListNode<CacheEntry>? PolicyNode { get; set; }

    internal byte PolicyQueue { get; set; }

    public void RecordAccess()
    {
        if (Volatile.Read(ref _frequency) < 3)
        {
            Interlocked.Increment(ref _frequency);
        }
    }

    public void ResetFrequency(int value) => Volatile.Write(ref _frequency, value);

    /// <summary>This entry's place among the open files; only <see cref="OpenFileCache"/> touches it, under its lock.</summary>
    internal LinkedListNode<CacheEntry> OpenNode => _openNode ??= new LinkedListNode<CacheEntry>(this);

    /// <summary>Whether the entry was hit since the open-file cache last looked; clears it.</summary>
    internal bool TakeReferenced() => Interlocked.Exchange(ref _referenced, 0) != 0;

    /// <summary>
    /// Closes the cache's own reference on the file (an idle object) and forgets its metadata and checksums, which are
    /// on disk: an idle object costs the index only this entry. The next hit opens and reads them again.
    /// </summary>
    /// <remarks>
    /// Takes no lock: it runs while another entry's open holds that entry's lock (closing idle handles after EMFILE).
    /// A reader that raced it sees a disposed handle and opens the file again; checksums describe the same file either way.
    /// </remarks>
    internal void CloseHandle()
    {
        var handle = Interlocked.Exchange(ref _handle, null);
        Volatile.Write(ref _checksums, null);
        Volatile.Write(ref _metadata, null);
        handle?.Dispose();
    }

    /// <summary>
    /// Takes a reference on the open file. False when the object was removed or its file is not a
    /// whole object; the caller then treats the request as a miss.
    /// </summary>
    public bool TryAcquire(string key, OpenFileCache files, out CacheLease lease)
    {
        lease = default;

        // An idle close can race a hit: the handle read here may be closed before the reference is taken; open again.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var handle = Volatile.Read(ref _handle);
            var metadata = Volatile.Read(ref _metadata);
            var checksums = Volatile.Read(ref _checksums);
            if (handle is null || metadata is null || checksums is null)
            {
                if (!TryOpen(files, out handle, out metadata, out checksums))
                {
                    return false;
                }
            }

            if (!string.Equals(metadata.Key, key, StringComparison.Ordinal))
            {
                return false;
            }

            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
            }
            catch (ObjectDisposedException)
            {
                if (IsRemoved)
                {
                    return false;
                }

                continue;
            }

            if (!added)
            {
                return false;
            }

            Volatile.Write(ref _referenced, 1);
            lease = new CacheLease(handle, metadata, checksums, Interlocked.Increment(ref _hits));
            return true;
        }

        return false;
    }

    /// <summary>Loads metadata without keeping a lease; null if the file is not a whole object.</summary>
    public ObjectMetadata? GetMetadata() => Volatile.Read(ref _metadata) ?? ReadMetadata();

    /// <summary>Swaps in refreshed metadata (a revalidation's new freshness); the body is unchanged.</summary>
    public void UpdateMetadata(ObjectMetadata metadata) => Volatile.Write(ref _metadata, metadata);

    private bool TryOpen(OpenFileCache files, out SafeFileHandle handle, out ObjectMetadata metadata, out ulong[] checksums)
    {
        lock (_sync)
        {
            handle = null!;
            metadata = null!;
            checksums = null!;
            if (IsRemoved)
            {
                return false;
            }

            if (_handle is not null && _metadata is not null && _checksums is not null)
            {
                (handle, metadata, checksums) = (_handle, _metadata, _checksums);
                return true;
            }

            SafeFileHandle opened;
            try
            {
                opened = OpenRead(files);
            }
            catch (Exception ex) when ((ex is IOException or UnauthorizedAccessException) && !FileLimits.IsOutOfDescriptors(ex))
            {
                return false;
            }

            ulong[] table;
            try
            {
                if (!ObjectFile.TryReadHeader(opened, out var header) || header is null)
                {
                    opened.Dispose();
                    return false;
                }

                table = ObjectFile.ReadChecksums(opened, header.ContentLength);
                metadata = _metadata ?? header;
            }
            catch (IOException)
            {
                opened.Dispose();
                return false;
            }

            _handle?.Dispose();
            Volatile.Write(ref _checksums, table);
            Volatile.Write(ref _metadata, metadata);
            Volatile.Write(ref _handle, opened);
            (handle, checksums) = (opened, table);
        }

        files.Opened(this);
        return true;
    }

    /// <summary>Opens the file; out of descriptors, closes idle handles and tries once more, then lets EMFILE through.</summary>
    private SafeFileHandle OpenRead(OpenFileCache files)
    {
        try
        {
            return File.OpenHandle(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (IOException ex) when (FileLimits.IsOutOfDescriptors(ex) && files.CloseIdle() > 0)
        {
            return File.OpenHandle(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
    }

    /// <summary>Reads the header alone, without keeping the file open or the metadata.</summary>
    private ObjectMetadata? ReadMetadata()
    {
        try
        {
            using var handle = File.OpenHandle(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            // Not kept: metadata stays in memory only while the file is open (the open-file cache bounds that).
            return ObjectFile.TryReadHeader(handle, out var header) ? header : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Marks the entry removed and drops the cache's own reference; open leases keep reading.</summary>
    public bool MarkRemoved()
    {
        if (Interlocked.Exchange(ref _removed, 1) != 0)
        {
            return false;
        }

        lock (_sync)
        {
            _handle?.Dispose();
        }

        return true;
    }
}

/// <summary>A reference on a cached object's open file; dispose to release it.</summary>
internal readonly struct CacheLease(SafeFileHandle handle, ObjectMetadata metadata, ulong[] checksums, int hits) : IDisposable
{
    /// <summary>Times the object has been looked up since it was stored or the node started, this one included.</summary>
    public int Hits { get; } = hits;

    public SafeFileHandle Handle { get; } = handle;

    public ObjectMetadata Metadata { get; } = metadata;

    /// <summary>XXH3 of each 64 KiB chunk of the body, as written at fill time.</summary>
    public ulong[] Checksums { get; } = checksums;

    public void Dispose() => Handle?.DangerousRelease();
}
