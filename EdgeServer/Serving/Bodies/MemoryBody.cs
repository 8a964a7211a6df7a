using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Edge.EdgeServer.Caching;

namespace Edge.EdgeServer.Serving.Bodies;

/// <summary>The body of an object held by the memory tier.</summary>
internal static class MemoryBody
{
    /// <summary>
    /// Writes a body held in memory a chunk at a time, waiting for the socket between chunks, so a slow reader
    /// never makes the node copy a whole segment into its output buffers at once.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<long> WriteAsync(PipeWriter writer, ReadOnlyMemory<byte> body, StalledWrites.Watch watch, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (sent < body.Length)
        {
            var take = Math.Min(ObjectFile.ChunkSize, body.Length - sent);
            var flush = await watch.Await(writer.WriteAsync(body.Slice(sent, take), cancellationToken));
            sent += take;
            if (flush.IsCompleted || flush.IsCanceled)
            {
                break;
            }
        }

        return sent;
    }
}
