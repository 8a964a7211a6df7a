using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Edge.EdgeServer.Caching;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Serving.Bodies;

/// <summary>The body of a stored object on disk, each 64 KiB chunk checked against its checksum before it is sent.</summary>
internal static class DiskBody
{
    /// <summary>
    /// Copies a cached body chunk by chunk, checking each 64 KiB chunk against its checksum before any of it is
    /// written, so corrupt bytes never leave the node. Reads are chunk-aligned; a range sends a slice.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<long> WriteAsync(PipeWriter writer, SafeFileHandle handle, ulong[] checksums, long contentLength, long start, long count, StalledWrites.Watch watch, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ObjectFile.ChunkSize);
        var position = start;
        var end = start + count;
        try
        {
            while (position < end)
            {
                var chunk = (int)(position / ObjectFile.ChunkSize);
                var chunkStart = (long)chunk * ObjectFile.ChunkSize;
                if (chunk >= checksums.Length)
                {
                    throw new CorruptObjectException("body is longer than its checksum table");
                }

                // Whole chunks are read and checked, whatever slice of them is sent.
                var want = (int)Math.Min(ObjectFile.ChunkSize, contentLength - chunkStart);
                if (position == chunkStart && end - chunkStart >= want && writer.GetMemory() is { } memory && memory.Length >= want)
                {
                    // A whole chunk that fits the response's buffer as it is: read straight into it, committed only once
                    // checked. A larger one is copied below: asked for more than one of its blocks, Kestrel's writer
                    // rents a buffer of its own for it and allocates that buffer's owner, on every hit.
                    var direct = RandomAccess.Read(handle, memory.Span[..want], ObjectFile.HeaderSize + chunkStart);
                    if (direct != want || ObjectFile.Checksum(memory.Span[..want]) != checksums[chunk])
                    {
                        throw new CorruptObjectException($"chunk {chunk} does not match its checksum");
                    }

                    writer.Advance(want);
                    position += want;
                    var flushed = await watch.Await(writer.FlushAsync(cancellationToken));
                    if (flushed.IsCompleted || flushed.IsCanceled)
                    {
                        break;
                    }

                    continue;
                }

                var read = RandomAccess.Read(handle, buffer.AsSpan(0, want), ObjectFile.HeaderSize + chunkStart);
                if (read != want || ObjectFile.Checksum(buffer.AsSpan(0, want)) != checksums[chunk])
                {
                    throw new CorruptObjectException($"chunk {chunk} does not match its checksum");
                }

                var from = (int)(position - chunkStart);
                var to = (int)Math.Min(want, end - chunkStart);
                position += to - from;
                var flush = await watch.Await(writer.WriteAsync(buffer.AsMemory(from, to - from), cancellationToken));
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return position - start;
    }
}
