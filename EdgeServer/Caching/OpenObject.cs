using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// A cached object whose file is open: its handle, parsed header and checksum table. Only open objects have one (the
/// <see cref="OpenFileCache"/> bounds how many), so an idle object costs the index its fixed-size record alone.
/// </summary>
internal sealed class OpenObject(CacheDisk disk, int slot, UInt128 hash, SafeFileHandle handle, ObjectMetadata metadata, ulong[] checksums)
{
    private ObjectMetadata _metadata = metadata;
    private int _referenced;

    public CacheDisk Disk { get; } = disk;

    public int Slot { get; } = slot;

    public UInt128 Hash { get; } = hash;

    public SafeFileHandle Handle { get; } = handle;

    public ulong[] Checksums { get; } = checksums;

    /// <summary>The header as last written (a revalidation rewrites it).</summary>
    public ObjectMetadata Metadata
    {
        get => Volatile.Read(ref _metadata);
        set => Volatile.Write(ref _metadata, value);
    }

    /// <summary>Links in the open-file cache's CLOCK list; only it touches them, under its lock.</summary>
    internal OpenObject? ClockPrevious { get; set; }

    internal OpenObject? ClockNext { get; set; }

    internal bool InClock { get; set; }

    public void MarkReferenced() => Volatile.Write(ref _referenced, 1);

    /// <summary>Whether the object was hit since the open-file cache last looked; clears it.</summary>
    public bool TakeReferenced() => Interlocked.Exchange(ref _referenced, 0) != 0;
}
