using System.Net;
using System.Net.Sockets;
using System.Text;
using Edge.EdgeServer.Health;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Health;

/// <summary>The half-open budget, over raw sockets from several loopback addresses, as a slow-header attacker would use them.</summary>
public sealed class ConnectionCounterTests : IAsyncLifetime
{
    private const string PartialRequest = "GET /t/seg1.m4s HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    private readonly TempDirectory _cacheDir = new();
    private OriginServer _origin = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _origin.Add("/t/seg1.m4s", new byte[100], "video/iso.segment");
    }

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Fact]
    public async Task Connect_SlowHeaderConnectionsFromManyAddressesFillEverySlot_PlayerStillServed()
    {
        // Without a half-open budget these 40 connections would hold all 40 slots for the whole headers timeout.
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, null, "edge-h",
            "--Edge:Limits:MaxConnections=40", "--Edge:Limits:MaxHalfOpenConnections=8", "--Edge:Limits:MaxHalfOpenConnectionsPerClient=4",
            "--Edge:Limits:RequestHeadersTimeout=00:05:00");
        var port = new Uri(edge.Url).Port;
        var counter = edge.GetService<ConnectionCounter>();
        var attackers = new List<Socket>();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                var socket = await ConnectFromAsync($"127.0.0.{2 + (i / 4)}", port);
                await socket.SendAsync(Encoding.ASCII.GetBytes(PartialRequest));
                attackers.Add(socket);
            }

            await Poll.UntilAsync(() => Task.FromResult(counter.HalfOpenEvicted >= 32 && counter.Active <= 8), "the oldest half-open connections to be closed", TimeSpan.FromSeconds(30));

            var status = 0;
            await Poll.UntilAsync(async () => (status = await GetStatusAsync("127.0.0.1", port)) == 200, "a player to be served", TimeSpan.FromSeconds(30));
            Assert.Equal(200, status);
            Assert.InRange(counter.HalfOpenCount, 0, 8);
            Assert.True(counter.HalfOpenEvicted >= 32);
            Assert.Equal(0, counter.Refused);
        }
        finally
        {
            attackers.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Connect_MoreHalfOpenThanOneClientMay_ExtraClosedTheOthersFinish()
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path + "-p", null, "edge-p", "--Edge:Limits:MaxHalfOpenConnectionsPerClient=2");
        var port = new Uri(edge.Url).Port;
        var counter = edge.GetService<ConnectionCounter>();
        using var first = await ConnectFromAsync("127.0.0.1", port);
        await first.SendAsync(Encoding.ASCII.GetBytes(PartialRequest));
        await Poll.UntilAsync(() => Task.FromResult(counter.HalfOpenCount == 1), "the first connection to be counted", TimeSpan.FromSeconds(30));
        using var second = await ConnectFromAsync("127.0.0.1", port);
        await second.SendAsync(Encoding.ASCII.GetBytes(PartialRequest));
        await Poll.UntilAsync(() => Task.FromResult(counter.HalfOpenCount == 2), "the second connection to be counted", TimeSpan.FromSeconds(30));

        using var third = await ConnectFromAsync("127.0.0.1", port);
        var closed = await third.ReceiveAsync(new byte[16].AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, closed);
        Assert.Equal(1, counter.HalfOpenRefused);
        Assert.Equal(200, await FinishAsync(first));
        Assert.Equal(200, await FinishAsync(second));
        Assert.Equal(0, counter.HalfOpenCount);

        // Another address has a budget of its own.
        Assert.Equal(200, await GetStatusAsync("127.0.0.9", port));
    }

    [Fact]
    public async Task Get_EstablishedConnection_LeavesTheHalfOpenBudget()
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path + "-e", null, "edge-e", "--Edge:Limits:MaxHalfOpenConnections=1");
        var port = new Uri(edge.Url).Port;
        var counter = edge.GetService<ConnectionCounter>();
        using var player = await ConnectFromAsync("127.0.0.1", port);
        await player.SendAsync(Encoding.ASCII.GetBytes(PartialRequest));
        Assert.Equal(200, await FinishAsync(player));

        // A new half-open connection does not push out the one that is being served.
        using var other = await ConnectFromAsync("127.0.0.2", port);
        await Poll.UntilAsync(() => Task.FromResult(counter.HalfOpenCount == 1), "the new connection to be counted", TimeSpan.FromSeconds(30));

        Assert.Equal(0, counter.HalfOpenEvicted);
        await player.SendAsync(Encoding.ASCII.GetBytes("GET /t/seg1.m4s HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.Equal(200, await ReadStatusAsync(player));
    }

    [Theory]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1", false)]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7", true)]
    [InlineData("192.0.2.7", "192.0.2.8", false)]
    public void ClientOf_Addresses_IPv4AloneAndIPv6ByTheirSlash64(string a, string b, bool same)
    {
        var left = ConnectionCounter.ClientOf(IPAddress.Parse(a));
        var right = ConnectionCounter.ClientOf(IPAddress.Parse(b));

        Assert.Equal(same, left.Equals(right));
    }

    private static async Task<Socket> ConnectFromAsync(string local, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(local), 0));
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return socket;
    }

    private static async Task<int> GetStatusAsync(string local, int port)
    {
        using var socket = await ConnectFromAsync(local, port);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /t/seg1.m4s HTTP/1.1\r\nHost: x\r\n\r\n"));
        return await ReadStatusAsync(socket);
    }

    private static async Task<int> FinishAsync(Socket socket)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes("1\r\n\r\n"));
        return await ReadStatusAsync(socket);
    }

    /// <summary>Reads one response with its 100-byte body; 0 when the node closed the connection instead.</summary>
    private static async Task<int> ReadStatusAsync(Socket socket)
    {
        var buffer = new byte[4096];
        var read = 0;
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                if (n == 0)
                {
                    return 0;
                }

                read += n;
                var text = Encoding.ASCII.GetString(buffer, 0, read);
                var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end >= 0 && read >= end + 4 + 100)
                {
                    return int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (SocketException)
        {
            return 0;
        }
    }
}
