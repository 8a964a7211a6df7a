using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Transport;

namespace Edge.EdgeServer.Serving.Bodies;

/// <summary>The body of an object the memory tier holds in a sealed in-memory file.</summary>
internal static class MemoryFileBody
{
    /// <summary>
    /// Writes a range of the file a chunk at a time, waiting for the socket between chunks. With
    /// <paramref name="direct"/>, each chunk the connection takes as a stand-in is sent from the file with
    /// <c>sendfile</c>; otherwise (TLS, HTTP/2) it is read into the response's buffers.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<long> WriteAsync(PipeWriter writer, MemoryFile file, long start, long count, IDirectSendFeature? direct, StalledWrites.Watch watch, CancellationToken cancellationToken)
    {
        var sent = 0L;
        while (sent < count)
        {
            if (direct is not null)
            {
                var chunk = (int)Math.Min(DirectSend.MaxFileBytes, count - sent);
                direct.ArmFile(file.Handle, start + sent, chunk);
                var memory = writer.GetMemory(chunk);
                if (DirectSend.IsStandIn(memory))
                {
                    var take = Math.Min(chunk, memory.Length);
                    writer.Advance(take);
                    sent += take;
                }
                else
                {
                    // Not the connection's own writer (a flush was pending, or the connection is ending): copy.
                    direct.Disarm();
                    sent += Copy(writer, file, start + sent, chunk);
                }
            }
            else
            {
                sent += Copy(writer, file, start + sent, (int)Math.Min(ObjectFile.ChunkSize, count - sent));
            }

            var flush = await watch.Await(writer.FlushAsync(cancellationToken));
            if (flush.IsCompleted || flush.IsCanceled)
            {
                break;
            }
        }

        return sent;
    }

    // Copied into the writer's own blocks as they come: asked for more than one block, Kestrel's writer rents a
    // buffer of its own and allocates its owner, on every hit.
    private static int Copy(PipeWriter writer, MemoryFile file, long offset, int count)
    {
        var copied = 0;
        while (copied < count)
        {
            var memory = writer.GetMemory();
            var read = file.Read(memory.Span[..Math.Min(memory.Length, count - copied)], offset + copied);
            if (read <= 0)
            {
                throw new IOException("The memory file ended before its length.");
            }

            writer.Advance(read);
            copied += read;
        }

        return copied;
    }
}
