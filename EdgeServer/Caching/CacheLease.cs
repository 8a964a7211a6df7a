using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Caching;

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
