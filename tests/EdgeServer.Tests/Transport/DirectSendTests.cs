using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Serving;
using Edge.EdgeServer.Transport;
using Edge.Testing;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Edge.EdgeServer.Tests.Transport;

/// <summary>
/// Plain-HTTP hits from the memory tier are sent from its memory, not copied: over real sockets, every byte is the
/// origin's, responses on one connection stay in order, and a client that stops reading is still cut.
/// </summary>
public sealed class DirectSendTests : IAsyncLifetime
{
    private const int BigLength = 3 * 1024 * 1024 + 123;
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly byte[] _big = Random(BigLength, 1);
    private readonly byte[] _small = Random(1000, 2);
    private OriginServer _origin = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _origin.Add("/t/big.m4s", _big, "video/iso.segment");
        _origin.Add("/t/small.m4s", _small, "video/iso.segment");
    }

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public void IsStandIn_OtherMemory_False()
    {
        Assert.True(DirectSend.IsStandIn(DirectSend.StandIn(100)));
        Assert.Equal(DirectSend.MaxBytes, DirectSend.StandIn(int.MaxValue).Length);
        Assert.False(DirectSend.IsStandIn(new byte[100]));
        Assert.False(DirectSend.IsStandIn(Memory<byte>.Empty));
    }

    [Fact]
    public async Task Get_MemoryTierHits_SentFromMemoryEveryByteRight()
    {
        await using var edge = await StartAsync();
        var stalls = edge.GetService<StalledWrites>();
        await WarmAsync(edge, "/t/big.m4s");
        var before = stalls.DirectBytes;

        var whole = await edge.Client.GetByteArrayAsync("/t/big.m4s");
        using var range = new HttpRequestMessage(HttpMethod.Get, "/t/big.m4s") { Headers = { Range = new RangeHeaderValue(100_000, 2_999_999) } };
        using var partial = await edge.Client.SendAsync(range);
        var part = await partial.Content.ReadAsByteArrayAsync();

        Assert.True(_big.AsSpan().SequenceEqual(whole), "the whole body differs from the origin's");
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.True(_big.AsSpan(100_000, 2_900_000).SequenceEqual(part), "the range differs from the origin's");
        Assert.Equal(before + BigLength + 2_900_000, stalls.DirectBytes);
    }

    [Fact]
    public async Task Get_DiskHits_WholeChunksHandedOverFromPooledBuffersEveryByteRight()
    {
        await using var edge = await StartAsync("--Edge:MemoryCacheMaxBytes=0");
        var stalls = edge.GetService<StalledWrites>();
        var missed = await edge.Client.GetByteArrayAsync("/t/big.m4s");
        Assert.True(_big.AsSpan().SequenceEqual(missed), "the miss differs from the origin's");
        var before = stalls.DirectBytes;

        using var whole = await edge.Client.GetAsync("/t/big.m4s");
        var wholeBody = await whole.Content.ReadAsByteArrayAsync();
        var afterWhole = stalls.DirectBytes;
        using var range = new HttpRequestMessage(HttpMethod.Get, "/t/big.m4s") { Headers = { Range = new RangeHeaderValue(100_000, 2_999_999) } };
        using var partial = await edge.Client.SendAsync(range);
        var part = await partial.Content.ReadAsByteArrayAsync();

        Assert.Equal("edge-d; hit", whole.Headers.GetValues("Cache-Status").Single());
        Assert.True(_big.AsSpan().SequenceEqual(wholeBody), "the whole body differs from the origin's");
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.True(_big.AsSpan(100_000, 2_900_000).SequenceEqual(part), "the range differs from the origin's");

        // Every chunk of the whole body is handed over; of the range, the chunks that lie wholly inside it
        // (the slices at either end are copied).
        const int chunk = EdgeServer.Caching.ObjectFile.ChunkSize;
        var inside = 0L;
        for (long at = 0; at < BigLength; at += chunk)
        {
            inside += at >= 100_000 && Math.Min(at + chunk, BigLength) <= 3_000_000 ? Math.Min(chunk, BigLength - at) : 0;
        }

        Assert.Equal(before + BigLength, afterWhole);
        Assert.Equal(afterWhole + inside, stalls.DirectBytes);
    }

    [Fact]
    public async Task Get_DirectSendOff_CopiedAndEveryByteRight()
    {
        await using var edge = await StartAsync("--Edge:Transport:DirectSend=false");
        await WarmAsync(edge, "/t/big.m4s");

        var whole = await edge.Client.GetByteArrayAsync("/t/big.m4s");

        Assert.True(_big.AsSpan().SequenceEqual(whole));
        Assert.Equal(0, edge.GetService<StalledWrites>().DirectBytes);
    }

    [Fact]
    public async Task Get_PipelinedRequestsOnOneConnection_EachResponseWholeAndInOrder()
    {
        await using var edge = await StartAsync();
        await WarmAsync(edge, "/t/big.m4s");
        await WarmAsync(edge, "/t/small.m4s");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, new Uri(edge.Url).Port);

        // Sent in one write: each response head must follow the body sent from memory before it, never overtake it.
        const string requests =
            "GET /t/big.m4s HTTP/1.1\r\nHost: x\r\n\r\n" +
            "HEAD /t/big.m4s HTTP/1.1\r\nHost: x\r\n\r\n" +
            "GET /t/big.m4s HTTP/1.1\r\nHost: x\r\nRange: bytes=70000-\r\n\r\n" +
            "GET /t/small.m4s HTTP/1.1\r\nHost: x\r\n\r\n" +
            "GET /t/big.m4s HTTP/1.1\r\nHost: x\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(requests));
        await using var stream = new NetworkStream(socket, ownsSocket: false);

        var (status1, body1) = await ReadResponseAsync(stream, head: false);
        var (status2, body2) = await ReadResponseAsync(stream, head: true);
        var (status3, body3) = await ReadResponseAsync(stream, head: false);
        var (status4, body4) = await ReadResponseAsync(stream, head: false);
        var (status5, body5) = await ReadResponseAsync(stream, head: false);

        Assert.Equal([200, 200, 206, 200, 200], new[] { status1, status2, status3, status4, status5 });
        Assert.True(_big.AsSpan().SequenceEqual(body1));
        Assert.Empty(body2);
        Assert.True(_big.AsSpan(70000).SequenceEqual(body3));
        Assert.True(_small.AsSpan().SequenceEqual(body4));
        Assert.True(_big.AsSpan().SequenceEqual(body5));
    }

    [Fact]
    public async Task RunAsync_HeadsAndHandedOverBodiesInterleaved_ClientGetsThemInOrder()
    {
        var (server, client) = await SocketPairAsync(smallBuffers: false);
        using var _ = server;
        using var __ = client;
        var stalls = NewStalls();
        var first = Random(300_000, 5);
        var second = Random(70_000, 6);
        var third = Random(DirectSend.MaxBytes * 3 + 17, 7);
        byte[] expected = [.. "head-1\r\n"u8, .. first, .. "head-2\r\n"u8, .. second, .. "x"u8, .. third, .. "end"u8];

        var run = DirectSendConnection.RunAsync(Connection(server), async connection =>
        {
            var output = connection.Transport.Output;
            var direct = connection.Features.Get<IDirectSendFeature>()!;
            await output.WriteAsync("head-1\r\n"u8.ToArray());
            await HandOverAsync(output, direct, first);
            await output.WriteAsync("head-2\r\n"u8.ToArray());
            await HandOverAsync(output, direct, second);

            // Written but not yet flushed when the body is handed over: it still goes first.
            "x"u8.CopyTo(output.GetSpan(1));
            output.Advance(1);
            await HandOverAsync(output, direct, third);
            await output.WriteAsync("end"u8.ToArray());
            await output.CompleteAsync();
        }, stalls, 64 * 1024);
        var received = await ReadAsync(client, expected.Length);
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(expected.AsSpan().SequenceEqual(received), "the bytes arrived out of order or changed");
        Assert.Equal(first.Length + second.Length + third.Length, stalls.DirectBytes);
    }

    [Fact]
    public async Task FlushAsync_MoreThanTwoStandInsWaitingOnTheClient_WaitsUntilItReads()
    {
        var (server, client) = await SocketPairAsync(smallBuffers: true);
        using var _ = server;
        using var __ = client;
        var body = Random(DirectSend.MaxBytes * 6, 8);
        var waited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var run = DirectSendConnection.RunAsync(Connection(server), async connection =>
        {
            var output = connection.Transport.Output;
            var direct = connection.Features.Get<IDirectSendFeature>()!;
            for (var sent = 0; sent < body.Length; sent += DirectSend.MaxBytes)
            {
                direct.Arm(body.AsMemory(sent, DirectSend.MaxBytes));
                var memory = output.GetMemory(DirectSend.MaxBytes);
                Assert.True(DirectSend.IsStandIn(memory));
                output.Advance(DirectSend.MaxBytes);
                var flush = output.FlushAsync();
                if (!flush.IsCompleted)
                {
                    // The client reads nothing yet: at most two stand-ins may be waiting for the socket.
                    Assert.True(sent >= DirectSend.MaxBytes * 2, $"a flush waited after only {sent} bytes");
                    waited.TrySetResult();
                }

                Assert.False((await flush).IsCompleted);
            }

            await output.CompleteAsync();
        }, NewStalls(), 64 * 1024);
        await waited.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var received = await ReadAsync(client, body.Length);
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(body.AsSpan().SequenceEqual(received));
    }

    [Fact]
    public async Task RunAsync_ClientStopsReadingAfterTheBodyWasHandedOver_SendCutAfterTheTimeoutNotBefore()
    {
        var (server, client) = await SocketPairAsync(smallBuffers: true);
        using var _ = server;
        using var __ = client;
        var stalls = NewStalls();
        var body = Random(DirectSend.MaxBytes * 2, 9);

        // Two stand-ins' worth: the writer finishes at once, and only the connection's send is left waiting.
        var run = DirectSendConnection.RunAsync(Connection(server), async connection =>
        {
            await HandOverAsync(connection.Transport.Output, connection.Features.Get<IDirectSendFeature>()!, body);
            await connection.Transport.Output.CompleteAsync();
        }, stalls, 64 * 1024);
        await Poll.UntilAsync(() => Task.FromResult(stalls.SendsWaiting == 1), "the send to wait on the client", TimeSpan.FromSeconds(30));
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, stalls.Cut);
        _time.Advance(TimeSpan.FromSeconds(2));
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, stalls.Cut);
        Assert.Equal(0, stalls.SendsWaiting);
        Assert.InRange(stalls.DirectBytes, 0, body.Length - 1);
    }

    [Fact]
    public async Task Get_ReaderStopsMidBody_ResponseCutAndTheNodeServesOthers()
    {
        var body = Random(7 * 1024 * 1024, 4);
        _origin.Add("/t/seven.m4s", body, "video/iso.segment");
        await using var edge = await StartAsync();
        var stalls = edge.GetService<StalledWrites>();
        await WarmAsync(edge, "/t/seven.m4s");

        using var reader = await StuckReaderAsync(edge, "/t/seven.m4s");
        await Poll.UntilAsync(() =>
        {
            if (stalls.Waiting == 1)
            {
                _time.Advance(TimeSpan.FromSeconds(31));
            }

            return Task.FromResult(stalls.Cut > 0);
        }, "the stuck reader to be cut", TimeSpan.FromSeconds(30));
        var received = await CutConnection.DrainAsync(reader);

        // One cut: the response's, not a second one for its connection's send stuck on the same client.
        Assert.Equal(1, stalls.Cut);
        Assert.InRange(received, 0, body.Length - 1);
        var next = await edge.Client.GetByteArrayAsync("/t/seven.m4s");
        Assert.True(body.AsSpan().SequenceEqual(next), "the next reader's body differs");
        await Poll.UntilAsync(() => Task.FromResult(stalls.Waiting == 0 && stalls.SendsWaiting == 0), "every send to end", TimeSpan.FromSeconds(30));
    }

    private StalledWrites NewStalls() => new(_time, Options.Create(new EdgeOptions()), NullLogger<StalledWrites>.Instance);

    /// <summary>A connected pair on loopback; small buffers make the kernel take little before the client reads.</summary>
    private static async Task<(Socket Server, Socket Client)> SocketPairAsync(bool smallBuffers)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (smallBuffers)
        {
            client.ReceiveBufferSize = 4096;
        }

        await client.ConnectAsync(listener.LocalEndPoint!);
        var server = await listener.AcceptAsync();
        if (smallBuffers)
        {
            server.SendBufferSize = 4096;
        }

        return (server, client);
    }

    /// <summary>A connection over <paramref name="socket"/> that, like Kestrel's, shuts its socket when aborted.</summary>
    private static SocketConnection Connection(Socket socket)
    {
        var input = new Pipe();
        var context = new SocketConnection(socket, new DuplexPipe(input.Reader, new Pipe().Writer), new DuplexPipe(new Pipe().Reader, input.Writer));
        context.Features.Set<IConnectionSocketFeature>(new SocketFeature(socket));
        return context;
    }

    private static async Task HandOverAsync(PipeWriter output, IDirectSendFeature direct, ReadOnlyMemory<byte> body)
    {
        while (!body.IsEmpty)
        {
            var chunk = body[..Math.Min(body.Length, DirectSend.MaxBytes)];
            direct.Arm(chunk);
            var memory = output.GetMemory(chunk.Length);
            Assert.True(DirectSend.IsStandIn(memory));
            output.Advance(chunk.Length);
            await output.FlushAsync();
            body = body[chunk.Length..];
        }
    }

    private static async Task<byte[]> ReadAsync(Socket socket, int length)
    {
        var bytes = new byte[length];
        var read = 0;
        while (read < length)
        {
            var n = await socket.ReceiveAsync(bytes.AsMemory(read)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            if (n == 0)
            {
                throw new EndOfStreamException($"the connection ended after {read} of {length} bytes");
            }

            read += n;
        }

        return bytes;
    }

    private Task<EdgeHost> StartAsync(params string[] extra) =>
        EdgeHost.StartAsync(_origin.Url, Path.Combine(_dir.Path, Guid.NewGuid().ToString("n")), _time, null, "edge-d", extra);

    /// <summary>A miss, the stored copy, then the memory tier's: later requests are memory hits.</summary>
    private static async Task WarmAsync(EdgeHost edge, string path)
    {
        for (var i = 0; i < 3; i++)
        {
            using var response = await edge.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.ReadAsByteArrayAsync();
        }

        using var last = await edge.Client.GetAsync(path);
        Assert.EndsWith("hit; detail=memory", last.Headers.GetValues("Cache-Status").Single());
        await last.Content.ReadAsByteArrayAsync();
    }

    private static async Task<Socket> StuckReaderAsync(EdgeHost edge, string path)
    {
        var reader = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await reader.ConnectAsync(IPAddress.Loopback, new Uri(edge.Url).Port);
        await reader.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
        return reader;
    }

    /// <summary>Reads one HTTP/1.1 response with a Content-Length (none for HEAD); returns its status and body.</summary>
    private static async Task<(int Status, byte[] Body)> ReadResponseAsync(Stream stream, bool head)
    {
        var header = new List<byte>();
        var one = new byte[1];
        while (header.Count < 4 || header[^4] != '\r' || header[^3] != '\n' || header[^2] != '\r' || header[^1] != '\n')
        {
            if (await stream.ReadAsync(one).AsTask().WaitAsync(TimeSpan.FromSeconds(30)) == 0)
            {
                throw new EndOfStreamException("the connection closed inside a response head");
            }

            header.Add(one[0]);
        }

        var lines = Encoding.Latin1.GetString([.. header]).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var length = lines.Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            .Select(l => int.Parse(l["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture)).Single();
        var body = new byte[head ? 0 : length];
        await stream.ReadExactlyAsync(body).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        return (status, body);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private sealed class SocketConnection(Socket socket, IDuplexPipe transport, IDuplexPipe application)
        : DefaultConnectionContext(Guid.NewGuid().ToString("n"), transport, application)
    {
        public override void Abort(ConnectionAbortedException abortReason) => socket.Shutdown(SocketShutdown.Both);
    }

    private sealed class SocketFeature(Socket socket) : IConnectionSocketFeature
    {
        public Socket Socket { get; } = socket;
    }

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
