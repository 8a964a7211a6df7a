using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Tests.Caching;
using Edge.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Edge.EdgeServer.Tests.Serving;

/// <summary>
/// The edge as an HTTP cache in front of an origin nobody here wrote: responses scripted byte for byte, read back
/// byte for byte over real sockets.
/// </summary>
public sealed class HttpCacheTests : IAsyncLifetime
{
    private readonly TempDirectory _cacheDir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private RawOrigin _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        _origin = RawOrigin.Start();
        _edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, _time, nodeId: "edge-h", extra: "--Edge:Admission:DoorkeeperWindow=00:00:00");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Fact]
    public async Task Get_EveryEndToEndField_StoredAndSentByteForByteOnAHit()
    {
        string[] sent =
        [
            "Date: Mon, 01 Jun 2026 12:00:00 GMT",
            "Cache-Control: public,  max-age=600 ,x-ext=\"a, b\"",
            "Content-Type: application/vnd.apple.mpegurl;charset=UTF-8",
            "Access-Control-Allow-Origin: https://player.example",
            "Access-Control-Expose-Headers: X-Title, Content-Length",
            "Timing-Allow-Origin: *",
            "Content-Disposition: inline; filename=\"index.m3u8\"",
            "X-Title: one",
            "X-Title: two",
            "Expires: Mon, 01 Jun 2026 12:10:00 GMT",
            "Connection: X-Hop",
            "X-Hop: must not be stored",
            "Keep-Alive: timeout=5",
        ];
        _origin.On("/t/index.m3u8", "HTTP/1.1 200 OK", sent, "#EXTM3U\n"u8.ToArray());

        var miss = await ExchangeAsync("GET /t/index.m3u8 HTTP/1.1\r\nHost: edge\r\n\r\n");
        _time.Advance(TimeSpan.FromSeconds(5));
        var hit = await ExchangeAsync("GET /t/index.m3u8 HTTP/1.1\r\nHost: edge\r\n\r\n");

        foreach (var response in new[] { miss, hit })
        {
            Assert.Equal(200, response.Status);
            Assert.Equal("#EXTM3U\n", Encoding.ASCII.GetString(response.Body));
            foreach (var line in sent[..10])
            {
                Assert.Contains(line, response.Lines);
            }

            Assert.DoesNotContain(response.Lines, l => l.StartsWith("X-Hop:", StringComparison.OrdinalIgnoreCase) || l.StartsWith("Keep-Alive:", StringComparison.OrdinalIgnoreCase));
            Assert.Contains("Via: 1.1 edge-h", response.Lines);
        }

        // Repeated fields stay separate lines in their order.
        Assert.True(hit.Lines.IndexOf("X-Title: one") < hit.Lines.IndexOf("X-Title: two"));
        Assert.Contains("Cache-Status: edge-h; hit", hit.Lines);
        Assert.Contains("Age: 5", hit.Lines);
        Assert.Contains("Age: 0", miss.Lines);
        Assert.Equal(1, _origin.CountOf("/t/index.m3u8"));
    }

    [Fact]
    public async Task Get_ObsTextETag_ServedAsItsBytesAndMatchedNeverA500()
    {
        // "caf\u00e9" in Latin-1: the byte 0xE9 inside the entity tag, as some origins send.
        _origin.On("/t/caf.m4s", "HTTP/1.1 200 OK", ["ETag: \"caf\u00e9\"", "Cache-Control: max-age=600", "Content-Type: video/iso.segment"], new byte[1000]);

        var miss = await ExchangeAsync("GET /t/caf.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");
        var hit = await ExchangeAsync("GET /t/caf.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");
        var conditional = await ExchangeAsync("GET /t/caf.m4s HTTP/1.1\r\nHost: edge\r\nIf-None-Match: \"caf\u00e9\"\r\n\r\n");

        Assert.Equal((200, 200, 304), (miss.Status, hit.Status, conditional.Status));
        Assert.Contains("ETag: \"caf\u00e9\"", hit.Lines);
        Assert.Contains("ETag: \"caf\u00e9\"", conditional.Lines);
        Assert.Equal(1000, hit.Body.Length);
    }

    [Fact]
    public async Task Get_VaryAcceptEncoding_GzipAndIdentityVariantsStoredApart()
    {
        var plain = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("#EXT-X-PART:DURATION=0.5\n", 40)));
        var gzipped = Gzip(plain);
        _origin.On("/t/live.m3u8", request => request["Accept-Encoding"]?.Contains("gzip", StringComparison.Ordinal) == true
            ? RawOrigin.Response("HTTP/1.1 200 OK", ["Vary: Accept-Encoding", "Content-Encoding: gzip", "Cache-Control: max-age=60"], gzipped)
            : RawOrigin.Response("HTTP/1.1 200 OK", ["Vary: Accept-Encoding", "Cache-Control: max-age=60"], plain));

        var gzipMiss = await ExchangeAsync("GET /t/live.m3u8 HTTP/1.1\r\nHost: edge\r\nAccept-Encoding: gzip\r\n\r\n");
        var identityMiss = await ExchangeAsync("GET /t/live.m3u8 HTTP/1.1\r\nHost: edge\r\n\r\n");
        var gzipHit = await ExchangeAsync("GET /t/live.m3u8 HTTP/1.1\r\nHost: edge\r\nAccept-Encoding: deflate, gzip;q=0.8\r\n\r\n");
        var identityHit = await ExchangeAsync("GET /t/live.m3u8 HTTP/1.1\r\nHost: edge\r\nAccept-Encoding: identity\r\n\r\n");

        Assert.Equal(gzipped, gzipMiss.Body);
        Assert.Equal(plain, identityMiss.Body);
        Assert.Equal(gzipped, gzipHit.Body);
        Assert.Contains("Content-Encoding: gzip", gzipHit.Lines);
        Assert.Equal(plain, identityHit.Body);
        Assert.DoesNotContain(identityHit.Lines, l => l.StartsWith("Content-Encoding", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("Cache-Status: edge-h; hit", gzipHit.Lines);
        Assert.Contains("Cache-Status: edge-h; hit", identityHit.Lines);
        Assert.Equal(2, _origin.CountOf("/t/live.m3u8"));
    }

    [Fact]
    public async Task Get_VaryStar_NeverStored()
    {
        _origin.On("/t/star.m3u8", "HTTP/1.1 200 OK", ["Vary: *", "Cache-Control: max-age=60"], "x"u8.ToArray());

        await ExchangeAsync("GET /t/star.m3u8 HTTP/1.1\r\nHost: edge\r\n\r\n");
        var second = await ExchangeAsync("GET /t/star.m3u8 HTTP/1.1\r\nHost: edge\r\n\r\n");

        Assert.Contains("Cache-Status: edge-h; fwd=miss", second.Lines);
        Assert.Equal(2, _origin.CountOf("/t/star.m3u8"));
    }

    [Fact]
    public async Task Get_Origin503WithRetryAfter_PassedThroughUnchangedAndNotStored()
    {
        _origin.On("/t/busy.m4s", "HTTP/1.1 503 Service Unavailable", ["Retry-After: 7", "Content-Type: text/plain", "Cache-Control: max-age=600"], "try later\n"u8.ToArray());

        var first = await ExchangeAsync("GET /t/busy.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");
        var second = await ExchangeAsync("GET /t/busy.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");

        Assert.Equal((503, 503), (first.Status, second.Status));
        Assert.Contains("Retry-After: 7", first.Lines);
        Assert.Equal("try later\n", Encoding.ASCII.GetString(first.Body));
        Assert.Equal(2, _origin.CountOf("/t/busy.m4s"));
    }

    [Fact]
    public async Task Get_404WithoutFreshness_StoredForTheNegativeTtlThenAskedAgain()
    {
        _origin.On("/live/seg_9.m4s", "HTTP/1.1 404 Not Found", ["Content-Type: text/plain"], "no\n"u8.ToArray());

        var first = await ExchangeAsync("GET /live/seg_9.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");
        _time.Advance(TimeSpan.FromSeconds(1));
        var second = await ExchangeAsync("GET /live/seg_9.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");
        Assert.Equal((404, 404), (first.Status, second.Status));
        Assert.Contains("Cache-Status: edge-h; hit", second.Lines);
        Assert.Equal(1, _origin.CountOf("/live/seg_9.m4s"));

        // Past the default Edge:NegativeTtl of 2 s the origin is asked again.
        _time.Advance(TimeSpan.FromSeconds(2));
        var third = await ExchangeAsync("GET /live/seg_9.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");
        Assert.Equal(404, third.Status);
        Assert.Equal(2, _origin.CountOf("/live/seg_9.m4s"));
    }

    [Fact]
    public async Task Get_404InALivePlaylistsFolder_KeptNoLongerThanAPart()
    {
        _origin.On("/ev/720p/index.m3u8", "HTTP/1.1 200 OK", ["Content-Type: application/vnd.apple.mpegurl", "Cache-Control: max-age=1"],
            "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PART-INF:PART-TARGET=0.5\n"u8.ToArray());
        _origin.On("/ev/720p/part77.m4s", "HTTP/1.1 404 Not Found", ["Content-Type: text/plain"], "no\n"u8.ToArray());
        _origin.On("/vod/720p/seg77.m4s", "HTTP/1.1 404 Not Found", ["Content-Type: text/plain"], "no\n"u8.ToArray());
        Assert.Equal(200, (await ExchangeAsync("GET /ev/720p/index.m3u8 HTTP/1.1\r\nHost: edge\r\n\r\n")).Status);

        await ExchangeAsync("GET /ev/720p/part77.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");
        await ExchangeAsync("GET /vod/720p/seg77.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");
        _time.Advance(TimeSpan.FromSeconds(0.4));
        var withinPart = await ExchangeAsync("GET /ev/720p/part77.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");
        Assert.Contains("Cache-Status: edge-h; hit", withinPart.Lines);

        // Past the part target the live folder's 404 is asked again; elsewhere Edge:NegativeTtl (2 s) still holds.
        _time.Advance(TimeSpan.FromSeconds(0.2));
        var pastPart = await ExchangeAsync("GET /ev/720p/part77.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");
        var elsewhere = await ExchangeAsync("GET /vod/720p/seg77.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");
        Assert.Equal(404, pastPart.Status);
        Assert.Equal(2, _origin.CountOf("/ev/720p/part77.m4s"));
        Assert.Contains("Cache-Status: edge-h; hit", elsewhere.Lines);
        Assert.Equal(1, _origin.CountOf("/vod/720p/seg77.m4s"));
    }

    [Fact]
    public async Task Get_PlaylistWithoutFreshness_FreshForTheManifestTtlNotAHeuristic()
    {
        // Modified a year before: a heuristic would keep it for a day.
        _origin.On("/ev/live.m3u8", "HTTP/1.1 200 OK", ["Content-Type: application/vnd.apple.mpegurl", "Last-Modified: Sun, 01 Jun 2025 12:00:00 GMT"], "#EXTM3U\n"u8.ToArray());

        await ExchangeAsync("GET /ev/live.m3u8 HTTP/1.1\r\nHost: edge\r\n\r\n");
        _time.Advance(TimeSpan.FromSeconds(0.9));
        var fresh = await ExchangeAsync("GET /ev/live.m3u8 HTTP/1.1\r\nHost: edge\r\n\r\n");
        Assert.Contains("Cache-Status: edge-h; hit", fresh.Lines);
        Assert.Equal(1, _origin.CountOf("/ev/live.m3u8"));

        // Past Edge:ManifestTtl (1 s) the origin is asked (a conditional request) before it is served again.
        _time.Advance(TimeSpan.FromSeconds(0.2));
        var stale = await ExchangeAsync("GET /ev/live.m3u8 HTTP/1.1\r\nHost: edge\r\n\r\n");
        Assert.Equal(200, stale.Status);
        Assert.Equal(2, _origin.CountOf("/ev/live.m3u8"));
    }

    [Fact]
    public async Task Get_QueryKeyed_EachQueryItsOwnObjectAndForwarded()
    {
        _origin.On("/t/s.m4s?v=1", "HTTP/1.1 200 OK", ["Cache-Control: max-age=60"], "one"u8.ToArray());
        _origin.On("/t/s.m4s?v=2", "HTTP/1.1 200 OK", ["Cache-Control: max-age=60"], "two"u8.ToArray());

        var one = await ExchangeAsync("GET /t/s.m4s?v=1 HTTP/1.1\r\nHost: edge\r\n\r\n");
        var two = await ExchangeAsync("GET /t/s.m4s?v=2 HTTP/1.1\r\nHost: edge\r\n\r\n");
        var oneAgain = await ExchangeAsync("GET /t/s.m4s?v=1 HTTP/1.1\r\nHost: edge\r\n\r\n");

        Assert.Equal(("one", "two", "one"), (Encoding.ASCII.GetString(one.Body), Encoding.ASCII.GetString(two.Body), Encoding.ASCII.GetString(oneAgain.Body)));
        Assert.Contains("Cache-Status: edge-h; hit", oneAgain.Lines);
        Assert.Equal((1, 1), (_origin.CountOf("/t/s.m4s?v=1"), _origin.CountOf("/t/s.m4s?v=2")));
    }

    [Fact]
    public async Task Get_RequestFields_ForwardedWithViaAndForwardedForWithoutCookieOrHopByHop()
    {
        _origin.On("/t/f.m4s", "HTTP/1.1 200 OK", ["Cache-Control: max-age=60"], "f"u8.ToArray());

        await ExchangeAsync("GET /t/f.m4s HTTP/1.1\r\nHost: edge\r\nX-Player: hls.js 1.7\r\nAccept-Language: fr\r\nCookie: session=secret\r\nX-Forwarded-Host: evil.example\r\nX-Original-URL: /admin\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: Basic eDp5\r\nVia: 1.1 player-proxy\r\nRange: bytes=0-0\r\n\r\n");

        var seen = Assert.Single(_origin.Requests, r => r.Target == "/t/f.m4s");
        Assert.Equal("hls.js 1.7", seen["X-Player"]);
        Assert.Equal("fr", seen["Accept-Language"]);
        Assert.Equal("1.1 player-proxy, 1.1 edge-h", seen["Via"]);
        Assert.Equal("127.0.0.1", seen["X-Forwarded-For"]);
        Assert.False(seen.Has("Cookie"));

        // Fields origins reflect or route by would let one client poison what every other client gets.
        Assert.False(seen.Has("X-Forwarded-Host"));
        Assert.False(seen.Has("X-Original-URL"));
        Assert.False(seen.Has("Keep-Alive"));
        Assert.False(seen.Has("Proxy-Authorization"));

        // Whole objects are filled; the range is answered by the node.
        Assert.False(seen.Has("Range"));
    }

    [Fact]
    public async Task Get_ObjectOfTheFirstFormat_ServedWithItsFieldsAfterAnUpgrade()
    {
        await _edge.DisposeAsync();
        var body = CacheTestSupport.RandomBody(5000);
        var file = CacheTestSupport.ObjectFileOf(_cacheDir.Path, "/t/old.m4s");
        WriteFirstFormatObject(file, "/t/old.m4s", body);
        var unknown = CacheTestSupport.ObjectFileOf(_cacheDir.Path, "/t/unknown.m4s");
        WriteFirstFormatObject(unknown, "/t/unknown.m4s", body);
        PatchMagic(unknown, "EDGEOBJ1");
        _origin.On("/t/unknown.m4s", "HTTP/1.1 200 OK", ["Cache-Control: max-age=60"], "fresh"u8.ToArray());

        _edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, _time, nodeId: "edge-h");
        var old = await ExchangeAsync("GET /t/old.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");
        var refilled = await ExchangeAsync("GET /t/unknown.m4s HTTP/1.1\r\nHost: edge\r\n\r\n");

        Assert.Equal(200, old.Status);
        Assert.Equal(body, old.Body);
        Assert.Contains("Cache-Status: edge-h; hit", old.Lines);
        Assert.Contains("Content-Type: video/iso.segment", old.Lines);
        Assert.Contains("ETag: \"old\"", old.Lines);
        Assert.Contains("Cache-Control: public, max-age=31536000", old.Lines);
        Assert.Equal(0, _origin.CountOf("/t/old.m4s"));

        // A header block this node cannot read is never served: the object is filled again.
        Assert.Equal("fresh", Encoding.ASCII.GetString(refilled.Body));
        Assert.Equal(1, _origin.CountOf("/t/unknown.m4s"));
    }

    private static void WriteFirstFormatObject(string file, string key, byte[] body)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var metadata = new ObjectMetadata
        {
            Key = key,
            ContentLength = body.Length,
            ContentType = "video/iso.segment",
            ETag = "\"old\"",
            LastModified = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            CacheControl = "public, max-age=31536000",
            StoredAt = new DateTimeOffset(2026, 6, 1, 11, 0, 0, TimeSpan.Zero),
            FreshSeconds = 31_536_000,
        };
        using (var handle = File.OpenHandle(file, FileMode.Create, FileAccess.ReadWrite))
        {
            Assert.True(ObjectFile.TryWriteHeader(handle, metadata));
            RandomAccess.Write(handle, body, ObjectFile.HeaderSize);
            var checksums = new ChunkHasher();
            checksums.Append(body);
            ObjectFile.WriteChecksums(handle, body.Length, checksums.Finish());
        }

        PatchMagic(file, "EDGEOBJ2");
    }

    private static void PatchMagic(string file, string magic)
    {
        using var stream = File.OpenWrite(file);
        stream.Write(Encoding.ASCII.GetBytes(magic));
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>One request on a new connection, and the response's status, header lines (Latin-1) and body.</summary>
    private async Task<(int Status, List<string> Lines, byte[] Body)> ExchangeAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, new Uri(_edge.Url).Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        var received = new List<byte>();
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var text = Encoding.Latin1.GetString([.. received]);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var lines = text[..end].Split("\r\n").ToList();
                var status = int.Parse(lines[0].AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
                var body = received.Skip(end + 4).ToArray();
                var length = lines.FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) is { } header
                    ? int.Parse(header[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture)
                    : 0;
                if (lines.Contains("Transfer-Encoding: chunked"))
                {
                    if (Encoding.Latin1.GetString(body).EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal))
                    {
                        return (status, lines, Dechunk(body));
                    }
                }
                else if (status is 304 or 204 || request.StartsWith("HEAD", StringComparison.Ordinal) || body.Length >= length)
                {
                    return (status, lines, body[..Math.Min(body.Length, length)]);
                }
            }

            var read = await stream.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "the node closed the connection before the response was whole");
            received.AddRange(buffer.AsSpan(0, read));
        }
    }

    private static byte[] Dechunk(byte[] body)
    {
        var output = new List<byte>();
        var position = 0;
        while (true)
        {
            var lineEnd = Array.IndexOf(body, (byte)'\n', position);
            var size = Convert.ToInt32(Encoding.ASCII.GetString(body, position, lineEnd - position).Trim(), 16);
            if (size == 0)
            {
                return [.. output];
            }

            output.AddRange(body.AsSpan(lineEnd + 1, size));
            position = lineEnd + 1 + size + 2;
        }
    }
}
