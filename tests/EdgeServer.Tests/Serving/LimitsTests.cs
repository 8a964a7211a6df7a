using System.Net;
using System.Net.Sockets;
using System.Text;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Serving;

/// <summary>Limits against abusive clients and for the origin's sake, over raw sockets where the abuse is in the bytes.</summary>
public sealed class LimitsTests : IAsyncLifetime
{
    private readonly TempDirectory _cacheDir = new();
    private OriginServer _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _origin.Add("/t/seg1.m4s", new byte[100], "video/iso.segment");
        _edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, null, "edge-l", "--Edge:OriginMaxConcurrentFills=2");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Fact]
    public async Task Get_RequestLineLongerThanTheLimit_414()
    {
        var status = await RawStatusAsync("GET /" + new string('a', 5000) + " HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal(414, status);
    }

    [Fact]
    public async Task Get_HeadersLargerThanTheLimit_431()
    {
        var status = await RawStatusAsync("GET /t/seg1.m4s HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('b', 20_000) + "\r\n\r\n");

        Assert.Equal(431, status);
    }

    [Fact]
    public async Task Get_MoreHeadersThanTheLimit_431()
    {
        var headers = string.Concat(Enumerable.Range(0, 80).Select(i => $"X-H{i}: v\r\n"));

        var status = await RawStatusAsync("GET /t/seg1.m4s HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");

        Assert.Equal(431, status);
    }

    [Fact]
    public async Task Connect_MoreConnectionsThanOneClientMayHold_ExtraOnesClosedOthersServed()
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path + "-c", null, "edge-c", "--Edge:Limits:MaxConnectionsPerClient=3");
        var port = new Uri(edge.Url).Port;
        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var socket = await ConnectAsync(port);
                held.Add(socket);
                Assert.Equal(200, await StatusAsync(socket, "GET /t/seg1.m4s HTTP/1.1\r\nHost: x\r\n\r\n"));
            }

            using var extra = await ConnectAsync(port);
            Assert.Equal(0, await StatusAsync(extra, "GET /t/seg1.m4s HTTP/1.1\r\nHost: x\r\n\r\n"));

            // The held connections keep working.
            Assert.Equal(200, await StatusAsync(held[0], "GET /t/seg1.m4s HTTP/1.1\r\nHost: x\r\n\r\n"));
            Assert.Equal(1, edge.GetService<Edge.EdgeServer.Health.ConnectionCounter>().Refused);
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Get_FloodOfDistinctColdUrls_OriginNeverSeesMoreFillsThanTheLimit()
    {
        var objects = Enumerable.Range(0, 8).Select(i => (Path: $"/cold/seg{i}.m4s", Value: new OriginObject { Body = new byte[5000], HoldHeaders = true })).ToList();
        objects.ForEach(o => _origin.Add(o.Path, o.Value));

        var requests = objects.Select(o => _edge.Client.GetAsync(o.Path)).ToList();
        await Task.WhenAny(objects.Select(o => o.Value.Held.Task)).WaitAsync(TimeSpan.FromSeconds(30));
        objects.ForEach(o => o.Value.Release.TrySetResult());
        var responses = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.InRange(_origin.MaxConcurrent, 1, 2);
        Assert.Equal(8, objects.Sum(o => _origin.RequestCount(o.Path)));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Get_TypeNotInAllowedExtensions_403BeforeAnyOriginWork()
    {
        _origin.Add("/t/tool.exe", new byte[10]);
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path + "-x", null, "edge-x",
            "--Edge:AllowedExtensions:0=.m3u8", "--Edge:AllowedExtensions:1=.m4s", "--Edge:AllowedExtensions:2=.mp4");

        using var refused = await edge.Client.GetAsync("/t/tool.exe");
        using var served = await edge.Client.GetAsync("/t/seg1.m4s");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(0, _origin.RequestCount("/t/tool.exe"));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    private async Task<int> RawStatusAsync(string request)
    {
        using var socket = await ConnectAsync(new Uri(_edge.Url).Port);
        return await StatusAsync(socket, request);
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return socket;
    }

    /// <summary>Sends a request and reads the status code of the answer; 0 when the node closes the connection instead.</summary>
    private static async Task<int> StatusAsync(Socket socket, string request)
    {
        try
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(request));
            var buffer = new byte[64 * 1024];
            var read = 0;
            while (read < 12)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                if (n == 0)
                {
                    return 0;
                }

                read += n;
            }

            // Read the rest of a small response so the connection can be reused.
            var text = Encoding.ASCII.GetString(buffer, 0, read);
            var status = int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
            while (!text.Contains("\r\n\r\n", StringComparison.Ordinal) || !HasWholeBody(text))
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                if (n == 0)
                {
                    break;
                }

                read += n;
                text = Encoding.ASCII.GetString(buffer, 0, read);
            }

            return status;
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    private static bool HasWholeBody(string text)
    {
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var at = text.IndexOf("Content-Length: ", StringComparison.OrdinalIgnoreCase);
        if (at < 0 || at > end)
        {
            return true;
        }

        var lineEnd = text.IndexOf("\r\n", at, StringComparison.Ordinal);
        var length = int.Parse(text.AsSpan(at + 16, lineEnd - at - 16), System.Globalization.CultureInfo.InvariantCulture);
        return text.Length >= end + 4 + length;
    }
}
