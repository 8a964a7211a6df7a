using System.Net;
using System.Net.Sockets;
using System.Text;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Serving;

/// <summary>
/// Thousands of malformed and hostile requests, hand-picked and random (seeded), over raw sockets: the node never
/// answers 5xx, never crashes, never sends a byte of a file outside its cache (a secret file sits next to it), and asks
/// the origin only for paths without dot segments.
/// </summary>
public sealed class FuzzTests : IAsyncLifetime
{
    private const string Secret = "SECRET-OUTSIDE-THE-CACHE-7f3a";
    private static readonly string[] HandPickedPaths =
    [
        "/../secret.txt", "/t/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/t/%2f..%2fsecret.txt",
        "/t/..%5csecret.txt", "/..\\secret.txt", "/t/%00", "/t/seg1.m4s%00.txt", "//secret.txt", "/t//seg1.m4s", "/./t/seg1.m4s",
        "/t/.", "/t/..", "/%", "/%zz", "/%c0%ae%c0%ae/secret.txt", "/t/\u00e9", "/t/seg1.m4s?path=../../secret.txt",
        "/t/seg1.m4s#frag", "*", "http://evil.example/t/seg1.m4s", "/" + new string('a', 3000), "/t/" + new string('/', 50),
        "/proc/self/environ", "/etc/passwd", "/t/seg1.m4s;.txt", "/T/SEG1.M4S", "/t/seg1.m4s/", "/t/seg1.m4s/..",
    ];

    private static readonly string[] HandPickedRanges =
    [
        "bytes=-0", "bytes=0-0,0-0", "bytes=99999999999999999999-", "bytes=--1", "bytes=1-0", "bytes=abc", "items=0-1",
        "bytes=0-1, 0-1", "bytes=-99999999999999999999", "bytes= 0-", "bytes=0-18446744073709551615", "bytes=,",
        "bytes=" + string.Join(",", Enumerable.Repeat("0-10", 1000)), "bytes=5-", "bytes=-1", "bytes=0--1", "bytes=\u00010-1",
    ];

    private readonly TempDirectory _dir = new();
    private OriginServer _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir.Path, "secret.txt"), Secret);
        _origin = await OriginServer.StartAsync();
        _origin.Add("/t/seg1.m4s", new byte[100_000], "video/iso.segment");
        _edge = await EdgeHost.StartAsync(_origin.Url, Path.Combine(_dir.Path, "cache"), nodeId: "edge-z");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Send_HostileAndRandomRequests_NoServerErrorNoSecretAndOnlyCleanOriginPaths()
    {
        var random = new Random(20261122);
        var requests = new List<string>();
        foreach (var path in HandPickedPaths)
        {
            requests.Add($"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        }

        foreach (var range in HandPickedRanges)
        {
            requests.Add($"GET /t/seg1.m4s HTTP/1.1\r\nHost: x\r\nRange: {range}\r\n\r\n");
        }

        for (var i = 0; i < 3000; i++)
        {
            requests.Add(i % 3 == 0
                ? $"GET /t/seg1.m4s HTTP/1.1\r\nHost: x\r\nRange: {RandomRange(random)}\r\n\r\n"
                : $"{RandomMethod(random)} {RandomPath(random)} HTTP/1.1\r\nHost: x\r\n\r\n");
        }

        var statuses = new Dictionary<int, int>();
        Socket? socket = null;
        try
        {
            foreach (var request in requests)
            {
                socket ??= await ConnectAsync();
                var (status, body, closed) = await ExchangeAsync(socket, request);
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                Assert.True(status is > 0 and < 500, $"{status} for {Printable(request)}");
                Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
                if (closed)
                {
                    socket.Dispose();
                    socket = null;
                }
            }
        }
        finally
        {
            socket?.Dispose();
        }

        // Still serving, and the origin was only ever asked for clean object paths.
        using var health = await _edge.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.All(_origin.Log, line => Assert.DoesNotContain(line.Split(' ', 2)[1].Split('/'), segment => segment is "." or ".."));
        Assert.True(statuses.Keys.Count >= 4, string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
    }

    private static string RandomMethod(Random random) => random.Next(10) switch
    {
        0 => "HEAD",
        1 => "OPTIONS",
        2 => "GeT",
        _ => "GET",
    };

    private static string RandomPath(Random random)
    {
        string[] pieces = ["/", "..", ".", "%2e", "%2f", "%5c", "%00", "%", "t", "seg1.m4s", "\\", "//", "%c0%af", "~", "?", "#", "a", "%25", ";", "=", "&", "%ff", "\u00e9", "secret.txt"];
        var builder = new StringBuilder("/");
        var count = random.Next(1, 12);
        for (var i = 0; i < count; i++)
        {
            builder.Append(pieces[random.Next(pieces.Length)]);
        }

        return builder.ToString();
    }

    private static string RandomRange(Random random)
    {
        string[] pieces = ["bytes=", "0", "1", "-", ",", " ", "99999999999", "65535", "65536", "100000", "-1", "x", "=", "bytes"];
        var builder = new StringBuilder(random.Next(4) == 0 ? "" : "bytes=");
        var count = random.Next(1, 10);
        for (var i = 0; i < count; i++)
        {
            builder.Append(pieces[random.Next(pieces.Length)]);
        }

        return builder.ToString();
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, new Uri(_edge.Url).Port);
        return socket;
    }

    /// <summary>One request, and the whole response to it: status, body text, and whether the node closed the connection.</summary>
    private static async Task<(int Status, string Body, bool Closed)> ExchangeAsync(Socket socket, string request)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(request));
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            if (n == 0)
            {
                var text = Encoding.Latin1.GetString(received.ToArray());
                return (StatusOf(text), text, true);
            }

            received.Write(buffer, 0, n);
            var all = Encoding.Latin1.GetString(received.ToArray());
            var end = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                continue;
            }

            var head = all[..end];
            if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase) && !request.StartsWith("HEAD ", StringComparison.Ordinal))
            {
                // A chunked body ends with the last chunk and an empty trailer section.
                if (all.IndexOf("\r\n0\r\n\r\n", end, StringComparison.Ordinal) is var last and >= 0)
                {
                    return (StatusOf(all), all[(end + 4)..last], head.Contains("Connection: close", StringComparison.OrdinalIgnoreCase));
                }

                continue;
            }

            var length = ContentLength(head, request);
            if (all.Length >= end + 4 + length)
            {
                return (StatusOf(all), all[(end + 4)..], head.Contains("Connection: close", StringComparison.OrdinalIgnoreCase));
            }
        }
    }

    private static int StatusOf(string response) =>
        response.Length >= 12 && int.TryParse(response.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture, out var status) ? status : 0;

    private static long ContentLength(string head, string request)
    {
        if (request.StartsWith("HEAD ", StringComparison.Ordinal) || head.Contains(" 304 ", StringComparison.Ordinal))
        {
            return 0;
        }

        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return long.Parse(line.AsSpan(15).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static string Printable(string request) => new([.. request.Take(200).Select(c => c is < ' ' or > '~' ? '?' : c)]);
}
