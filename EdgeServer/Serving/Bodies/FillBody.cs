using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Origin;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Serving.Bodies;

/// <summary>The body of an origin fill in progress, read from its temporary file while it arrives.</summary>
internal static class FillBody
{
    // 64 KiB reads: on this hardware larger reads did not raise loopback throughput, smaller ones cost syscalls.
    private const int CopyBufferSize = 64 * 1024;

    /// <summary>
    /// Copies <paramref name="count"/> body bytes from <paramref name="start"/> (or to the end when -1),
    /// waiting on <paramref name="fill"/> for bytes that have not arrived yet.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<long> WriteAsync(PipeWriter writer, SafeFileHandle handle, long start, long count, OriginFill? fill, StalledWrites.Watch watch, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        var position = start;
        var end = count < 0 ? long.MaxValue : start + count;
        try
        {
            while (position < end)
            {
                var available = end;
                if (fill is not null)
                {
                    available = Math.Min(end, await fill.WaitForAsync(position, cancellationToken));
                    if (available <= position)
                    {
                        if (count >= 0)
                        {
                            throw new FillFailedException("fill ended before the announced length");
                        }

                        break;
                    }
                }

                var want = (int)Math.Min(buffer.Length, available - position);
                var read = RandomAccess.Read(handle, buffer.AsSpan(0, want), ObjectFile.HeaderSize + position);
                if (read <= 0)
                {
                    throw new IOException("cached object is shorter than its metadata says");
                }

                position += read;
                var flush = await watch.Await(writer.WriteAsync(buffer.AsMemory(0, read), cancellationToken));
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
