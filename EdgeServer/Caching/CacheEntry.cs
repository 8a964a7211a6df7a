using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// One published object. Its file handle and checksums are opened on first use and kept while the object is hot,
/// so hits do no open/stat/parse work; the <see cref="OpenFileCache"/> closes the handles of idle objects. Readers
/// hold a reference on the handle, so neither eviction nor an idle close ever closes it under them.
/// </summary>
internal sealed class CacheEntry
{
    // Opens are rare and short: a lock per entry would cost every idle object its own lock object.
    private static readonly Lock[] OpenLocks = [.. Enumerable.Range(0, 256).Select(_ => new Lock())];

    private readonly string _objectsRoot;

    // Handle, metadata and checksums together, swapped as one, so a reader never mixes two opens; null while idle.
    private OpenFile? _open;
    private LinkedListNode<CacheEntry>? _openNode;
    private int _removed;
    private int _referenced;
    private int _frequency;
    private int _hits;

    /// <param name="objectsRoot">The cache's objects folder; the file's path is derived from it and the hash, not stored.</param>
    public CacheEntry(UInt128 hash, string objectsRoot, long sizeOnDisk)
    {
        Hash = hash;
        _objectsRoot = objectsRoot;
        SizeOnDisk = sizeOnDisk;
    }

    public UInt128 Hash { get; }

    public string FilePath => DiskCache.ObjectPathOf(_objectsRoot, Hash);

    /// <summary>Bytes the object takes on disk, header block included.</summary>
    public long SizeOnDisk { get; }

    public bool IsRemoved => Volatile.Read(ref _removed) != 0;

    /// <summary>Accesses since the policy last looked, capped at 3 (S3-FIFO's counter).</summary>
    public int Frequency => Volatile.Read(ref _frequency);

    /// <summary>Policy bookkeeping (its queue and links in it); only the eviction policy touches these, under its lock.</summary>
    internal Internal.EntryQueue? PolicyQueueRef { get; set; }

    internal CacheEntry? PolicyPrevious { get; set; }

    internal CacheEntry? PolicyNext { get; set; }

    internal byte PolicyQueue { get; set; }

    private Lock OpenLock => OpenLocks[(int)(Hash & 0xFF)];

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
    /// Takes no lock: it runs while another entry's open holds an open lock (closing idle handles after EMFILE).
    /// A reader that raced it sees a disposed handle and opens the file again.
    /// </remarks>
    internal void CloseHandle() => Interlocked.Exchange(ref _open, null)?.Handle.Dispose();

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
            var open = Volatile.Read(ref _open) ?? TryOpen(files);
            if (open is null || !string.Equals(open.Metadata.Key, key, StringComparison.Ordinal))
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
            lease = new CacheLease(open.Handle, open.Metadata, open.Checksums, Interlocked.Increment(ref _hits));
            return true;
        }

        return false;
    }

    /// <summary>Loads metadata without keeping a lease; null if the file is not a whole object.</summary>
    public ObjectMetadata? GetMetadata() => Volatile.Read(ref _open)?.Metadata ?? ReadMetadata();

    /// <summary>Swaps in refreshed metadata (a revalidation's new freshness, already written to the file's header).</summary>
    public void UpdateMetadata(ObjectMetadata metadata)
    {
        var open = Volatile.Read(ref _open);
        while (open is not null)
        {
            var seen = Interlocked.CompareExchange(ref _open, new OpenFile(open.Handle, metadata, open.Checksums), open);
            if (seen == open)
            {
                return;
            }

            open = seen;
        }
    }

    private OpenFile? TryOpen(OpenFileCache files)
    {
        OpenFile opened;
        lock (OpenLock)
        {
            if (IsRemoved)
            {
                return null;
            }

            if (Volatile.Read(ref _open) is { } current)
            {
                return current;
            }

            SafeFileHandle handle;
            try
            {
                handle = OpenRead(files);
            }
            catch (Exception ex) when ((ex is IOException or UnauthorizedAccessException) && !FileLimits.IsOutOfDescriptors(ex))
            {
                return null;
            }

            try
            {
                if (!ObjectFile.TryReadHeader(handle, out var header) || header is null)
                {
                    handle.Dispose();
                    return null;
                }

                opened = new OpenFile(handle, header, ObjectFile.ReadChecksums(handle, header.ContentLength));
            }
            catch (IOException)
            {
                handle.Dispose();
                return null;
            }

            Volatile.Write(ref _open, opened);
        }

        // Removed while opening: the removal may have missed this handle.
        if (IsRemoved)
        {
            CloseHandle();
            return null;
        }

        files.Opened(this);
        return opened;
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

        CloseHandle();
        return true;
    }

    private sealed record OpenFile(SafeFileHandle Handle, ObjectMetadata Metadata, ulong[] Checksums);
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
