using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Transport;
using Microsoft.AspNetCore.Http;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Serving.Bodies;

/// <summary>The body of a stored object on disk, each 64 KiB chunk checked against its checksum before it is sent.</summary>
internal static class DiskBody
{
    /// <summary>
    /// Copies a cached body chunk by chunk, checking each 64 KiB chunk against its checksum before any of it is
    /// written, so corrupt bytes never leave the node. Reads are chunk-aligned; a range sends a slice. With
    /// <paramref name="direct"/>, a whole chunk is read into a pooled buffer and, once checked, handed to the
    /// connection to send from there, instead of being copied into the response's buffers; <paramref name="response"/>
    /// is started only then, so a bad first chunk still finds the response unsent.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<long> WriteAsync(PipeWriter writer, SafeFileHandle handle, ulong[] checksums, long contentLength, long start, long count, IDirectSendFeature? direct, HttpResponse? response, StalledWrites.Watch watch, CancellationToken cancellationToken)
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
                var whole = position == chunkStart && end - chunkStart >= want;
                if (whole && direct is not null && response is not null)
                {
                    var handed = await HandOverAsync(writer, response, handle, checksums[chunk], chunk, want, direct, watch, cancellationToken);
                    position += want;
                    if (handed.IsCompleted || handed.IsCanceled)
                    {
                        break;
                    }

                    continue;
                }

                if (whole && writer.GetMemory() is { } memory && memory.Length >= want)
                {
                    // A whole chunk that fits the response's buffer as it is: read straight into it, committed only once
                    // checked. A larger one is copied below: asked for more than one of its blocks, Kestrel's writer
                    // rents a buffer of its own for it and allocates that buffer's owner, on every hit.
                    ReadChecked(handle, memory.Span[..want], chunk, checksums[chunk]);

                    writer.Advance(want);
                    position += want;
                    var flushed = await watch.Await(writer.FlushAsync(cancellationToken));
                    if (flushed.IsCompleted || flushed.IsCanceled)
                    {
                        break;
                    }

                    continue;
                }

                ReadChecked(handle, buffer.AsSpan(0, want), chunk, checksums[chunk]);

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

    /// <summary>Reads chunk <paramref name="chunk"/> whole into <paramref name="into"/>; throws unless it matches its checksum.</summary>
    private static void ReadChecked(SafeFileHandle handle, Span<byte> into, int chunk, ulong checksum)
    {
        var read = RandomAccess.Read(handle, into, ObjectFile.HeaderSize + ((long)chunk * ObjectFile.ChunkSize));
        if (read != into.Length || ObjectFile.Checksum(into) != checksum)
        {
            throw new CorruptObjectException($"chunk {chunk} does not match its checksum");
        }
    }

    /// <summary>Reads and checks one whole chunk into a pooled buffer, and hands it to the connection, or copies it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<FlushResult> HandOverAsync(PipeWriter writer, HttpResponse response, SafeFileHandle handle, ulong checksum, int chunk, int length, IDirectSendFeature direct, StalledWrites.Watch watch, CancellationToken cancellationToken)
    {
        var pooled = ArrayPool<byte>.Shared.Rent(length);
        var bytes = pooled.AsMemory(0, length);
        try
        {
            ReadChecked(handle, bytes.Span, chunk, checksum);
            if (!response.HasStarted)
            {
                // The head goes out first, so the stand-in below comes from the connection's own writer.
                await response.StartAsync(cancellationToken);
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(pooled);
            throw;
        }

        direct.Arm(bytes, pooled);
        var memory = writer.GetMemory(length);
        if (DirectSend.IsStandIn(memory) && memory.Length >= length)
        {
            // From here the connection owns the buffer, and returns it to the pool once it is sent.
            writer.Advance(length);
            return await watch.Await(writer.FlushAsync(cancellationToken));
        }

        // Not the connection's own writer (a flush was pending, or the connection is ending): copy, and keep the buffer.
        direct.Disarm();
        writer.Write(bytes.Span);
        ArrayPool<byte>.Shared.Return(pooled);
        return await watch.Await(writer.FlushAsync(cancellationToken));
    }
}
