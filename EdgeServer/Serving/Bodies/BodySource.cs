using System.IO.Pipelines;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Origin;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Serving.Bodies;

internal enum BodyKind : byte
{
    /// <summary>An object the memory tier holds.</summary>
    Memory,

    /// <summary>A stored object on disk, verified chunk by chunk.</summary>
    Disk,

    /// <summary>An origin fill in progress.</summary>
    Fill,
}

/// <summary>
/// Where a response's body comes from, and how a range of it is written to the response: the one body abstraction
/// of the request path. A value type over objects that already exist (the memory tier's bytes, an open object's
/// handle and checksums, a fill), so choosing a source allocates nothing.
/// </summary>
internal readonly struct BodySource
{
    private readonly byte[]? _memory;
    private readonly SafeFileHandle? _handle;
    private readonly ulong[]? _checksums;
    private readonly OriginFill? _fill;
    private readonly long _length;

    private BodySource(BodyKind kind, byte[]? memory, SafeFileHandle? handle, ulong[]? checksums, OriginFill? fill, long length)
    {
        Kind = kind;
        _memory = memory;
        _handle = handle;
        _checksums = checksums;
        _fill = fill;
        _length = length;
    }

    public BodyKind Kind { get; }

    public static BodySource FromMemory(byte[] body) => new(BodyKind.Memory, body, null, null, null, body.Length);

    public static BodySource FromDisk(in CacheLease lease) => new(BodyKind.Disk, null, lease.Handle, lease.Checksums, null, lease.Metadata.ContentLength);

    public static BodySource FromFill(OriginFill fill) => new(BodyKind.Fill, null, fill.Handle, null, fill, -1);

    /// <summary>
    /// Writes <paramref name="count"/> bytes from <paramref name="start"/> (to the end when -1, for a fill of unknown
    /// length); returns how many were written. <see cref="CorruptObjectException"/> when a stored chunk fails its
    /// checksum, <see cref="FillFailedException"/> when a fill ends short.
    /// </summary>
    /// <param name="direct">
    /// The connection's direct send, for a body held in memory (its response already started) or read from disk
    /// (<paramref name="response"/> started once the first chunk is checked); null copies it.
    /// </param>
    public ValueTask<long> WriteAsync(PipeWriter writer, long start, long count, Transport.IDirectSendFeature? direct, Microsoft.AspNetCore.Http.HttpResponse response, StalledWrites.Watch watch, CancellationToken cancellationToken) => Kind switch
    {
        BodyKind.Memory => MemoryBody.WriteAsync(writer, _memory.AsMemory((int)start, (int)count), direct, watch, cancellationToken),
        BodyKind.Disk => DiskBody.WriteAsync(writer, _handle!, _checksums!, _length, start, count, direct, response, watch, cancellationToken),
        _ => FillBody.WriteAsync(writer, _handle!, start, count, _fill, watch, cancellationToken),
    };
}
