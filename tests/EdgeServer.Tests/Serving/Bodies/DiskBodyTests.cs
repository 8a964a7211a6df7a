using System.Buffers;
using System.IO.Pipelines;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Serving;
using Edge.EdgeServer.Serving.Bodies;
using Edge.EdgeServer.Tests.Caching;
using Edge.EdgeServer.Transport;
using Edge.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Edge.EdgeServer.Tests.Serving.Bodies;

/// <summary>
/// A disk body handed to a connection's direct send: each chunk is checked before anything of it is written or the
/// response starts, and a writer that is not the connection's own gets a copy instead.
/// </summary>
public sealed class DiskBodyTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly DiskCache _cache;

    public DiskBodyTests() => _cache = CacheTestSupport.CreateCache(_dir.Path, 64L * 1024 * 1024);

    public void Dispose()
    {
        _cache.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task WriteAsync_DirectButTheWriterIsNotTheConnections_EveryChunkCopiedAndDisarmed()
    {
        var body = CacheTestSupport.RandomBody(200_000);
        using var lease = Stored(body);
        var (handle, checksums) = (lease.Handle, lease.Checksums);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var direct = new RecordingDirectSend();
        var response = new ResponseStarts();

        var written = await DiskBody.WriteAsync(pipe.Writer, handle, checksums, body.Length, 0, body.Length, direct, response.Response, default, CancellationToken.None);
        await pipe.Writer.CompleteAsync();
        var read = await pipe.Reader.ReadAtLeastAsync(body.Length + 1);

        Assert.Equal(body.Length, written);
        Assert.Equal(body, read.Buffer.ToArray());
        Assert.Equal(ObjectFile.ChunkCount(body.Length), direct.Armed);
        Assert.Equal(direct.Armed, direct.Disarmed);
        Assert.True(response.Starts > 0);
    }

    [Fact]
    public async Task WriteAsync_DirectAndTheFirstChunkIsCorrupt_ThrowsBeforeTheResponseStarts()
    {
        var body = CacheTestSupport.RandomBody(200_000);
        using var lease = Stored(body);
        var (handle, checksums) = (lease.Handle, (ulong[])lease.Checksums.Clone());
        checksums[0] ^= 1;
        var pipe = new Pipe();
        var direct = new RecordingDirectSend();
        var response = new ResponseStarts();

        await Assert.ThrowsAsync<CorruptObjectException>(async () =>
            await DiskBody.WriteAsync(pipe.Writer, handle, checksums, body.Length, 0, body.Length, direct, response.Response, default, CancellationToken.None));

        // Nothing was started or handed over: the caller may still fill the object again and answer in full.
        Assert.Equal(0, response.Starts);
        Assert.Equal(0, direct.Armed);
        Assert.Equal(0, pipe.Writer.UnflushedBytes);
    }

    /// <summary>The body stored as a fill stores it, and held as a hit holds it.</summary>
    private CacheLease Stored(byte[] body)
    {
        var key = "/t/" + Guid.NewGuid().ToString("n") + ".m4s";
        Assert.True(CacheTestSupport.Store(_cache, key, body));
        Assert.True(_cache.TryAcquire(CacheKey.Hash(key), key, out var lease));
        return lease;
    }

    private sealed class RecordingDirectSend : IDirectSendFeature
    {
        public int Armed { get; private set; }

        public int Disarmed { get; private set; }

        public void Arm(ReadOnlyMemory<byte> bytes, byte[]? pooled = null) => Armed++;

        public void Disarm() => Disarmed++;
    }

    /// <summary>A response whose starts are counted.</summary>
    private sealed class ResponseStarts : StreamResponseBodyFeature
    {
        public ResponseStarts()
            : base(Stream.Null)
        {
            var context = new DefaultHttpContext();
            context.Features.Set<IHttpResponseBodyFeature>(this);
            Response = context.Response;
        }

        public HttpResponse Response { get; }

        public int Starts { get; private set; }

        public override Task StartAsync(CancellationToken cancellationToken = default)
        {
            Starts++;
            return Task.CompletedTask;
        }
    }
}
