using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Transport;

namespace Edge.EdgeServer.Serving.Bodies;

/// <summary>The body of an object held by the memory tier.</summary>
internal static class MemoryBody
{
    /// <summary>
    /// Writes a body held in memory a chunk at a time, waiting for the socket between chunks, so a slow reader
    /// never makes the node copy a whole segment into its output buffers at once. With <paramref name="direct"/>,
    /// each chunk the connection takes as a stand-in is sent from the body's own memory, not copied.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<long> WriteAsync(PipeWriter writer, ReadOnlyMemory<byte> body, IDirectSendFeature? direct, StalledWrites.Watch watch, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (sent < body.Length)
        {
            ValueTask<FlushResult> flushing;
            if (direct is not null)
            {
                var chunk = body.Slice(sent, Math.Min(DirectSend.MaxBytes, body.Length - sent));
                direct.Arm(chunk);
                var memory = writer.GetMemory(chunk.Length);
                if (DirectSend.IsStandIn(memory))
                {
                    var take = Math.Min(chunk.Length, memory.Length);
                    writer.Advance(take);
                    sent += take;
                    flushing = writer.FlushAsync(cancellationToken);
                }
                else
                {
                    // Not the connection's own writer (a flush was pending, or the connection is ending): copy.
                    direct.Disarm();
                    var take = Math.Min(chunk.Length, memory.Length);
                    chunk.Span[..take].CopyTo(memory.Span);
                    writer.Advance(take);
                    sent += take;
                    flushing = writer.FlushAsync(cancellationToken);
                }
            }
            else
            {
                var take = Math.Min(ObjectFile.ChunkSize, body.Length - sent);
                flushing = writer.WriteAsync(body.Slice(sent, take), cancellationToken);
                sent += take;
            }

            var flush = await watch.Await(flushing);
            if (flush.IsCompleted || flush.IsCanceled)
            {
                break;
            }
        }

        return sent;
    }
}
