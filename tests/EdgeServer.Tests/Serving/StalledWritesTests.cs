using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Edge.EdgeServer.Serving;
using Edge.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Time.Testing;

namespace Edge.EdgeServer.Tests.Serving;

/// <summary>A client that stops reading a large body is cut after the stall timeout, on the node's clock.</summary>
public sealed class StalledWritesTests : IAsyncLifetime
{
    private const int BodyLength = 16 * 1024 * 1024;
    private readonly TempDirectory _cacheDir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private OriginServer _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _origin.Add("/t/big.m4s", new byte[BodyLength], "video/iso.segment");
        _edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, _time, null, "edge-s", "--Edge:Admission:DoorkeeperWindow=00:00:00");
        using var warm = await _edge.Client.GetAsync("/t/big.m4s");
        Assert.Equal(HttpStatusCode.OK, warm.StatusCode);

        // The client has every byte a moment before the node's last write hears of it.
        var stalls = _edge.GetService<StalledWrites>();
        await Poll.UntilAsync(() => Task.FromResult(stalls.Waiting == 0 && stalls.SendsWaiting == 0), "the warming response to finish", TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Fact]
    public async Task Get_ReaderStopsReading_ConnectionCut()
    {
        var stalls = _edge.GetService<StalledWrites>();
        using var reader = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await reader.ConnectAsync(IPAddress.Loopback, new Uri(_edge.Url).Port);
        await reader.SendAsync(Encoding.ASCII.GetBytes("GET /t/big.m4s HTTP/1.1\r\nHost: x\r\n\r\n"));

        // Writes wait on and off while the socket buffers fill; once they are full, the write that waits stays.
        await Poll.UntilAsync(() =>
        {
            if (stalls.Waiting == 1)
            {
                _time.Advance(TimeSpan.FromSeconds(31));
            }

            return Task.FromResult(stalls.Cut == 1);
        }, "the stuck reader to be cut", TimeSpan.FromSeconds(30));
        var received = await CutConnection.DrainAsync(reader);

        Assert.InRange(received, 0, BodyLength - 1);
        Assert.Equal(0, stalls.Waiting);
    }

    [Fact]
    public async Task Await_WriteWaitsOnTheClient_AbortedAfterTheTimeoutNotBefore()
    {
        var stalls = _edge.GetService<StalledWrites>();
        var lifetime = new AbortFeature();
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpRequestLifetimeFeature>(lifetime);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 16, resumeWriterThreshold: 8));

        var pending = stalls.For(context).Await(pipe.Writer.WriteAsync(new byte[64]));
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(lifetime.Aborted);
        Assert.Equal(1, stalls.Waiting);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(lifetime.Aborted);
        Assert.Equal(1, stalls.Cut);
        await pipe.Reader.CompleteAsync();
        await pending;
    }

    [Fact]
    public async Task Get_ReaderReadsEverything_NeverCut()
    {
        var stalls = _edge.GetService<StalledWrites>();

        var body = await _edge.Client.GetByteArrayAsync("/t/big.m4s");
        await Poll.UntilAsync(() => Task.FromResult(stalls.Waiting == 0 && stalls.SendsWaiting == 0), "the last write and send to finish", TimeSpan.FromSeconds(30));
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(BodyLength, body.Length);
        Assert.Equal(0, stalls.Cut);
    }

    private sealed class AbortFeature : IHttpRequestLifetimeFeature
    {
        public CancellationToken RequestAborted { get; set; }

        public bool Aborted { get; private set; }

        public void Abort() => Aborted = true;
    }
}
