using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Edge.EdgeServer.Tests.Caching;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Serving;

/// <summary>
/// Low-latency live through the edge: players held by blocking playlist reloads and hinted parts share one origin
/// request, and a part the origin is still writing reaches every player as it arrives.
/// </summary>
public sealed partial class LiveTests : IAsyncLifetime
{
    private readonly TempDirectory _cacheDir = new();
    private OriginServer _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        // Hundreds of players from one loopback address connect at once: on a busy machine more than the default 64
        // of their connections can be accepted before their headers are read, and the node would close the rest.
        _edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, null, "edge-live", "--Edge:Limits:MaxHalfOpenConnectionsPerClient=1024");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Fact]
    public async Task Get_ManyPlayersBlockOnOnePlaylistVersion_OneOriginRequestAnswersAll()
    {
        const int Players = 200;
        var playlist = Encoding.UTF8.GetBytes("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PART-INF:PART-TARGET=0.5\n#EXT-X-MEDIA-SEQUENCE:5\n");
        var held = new OriginObject { Body = playlist, ContentType = "application/vnd.apple.mpegurl", CacheControl = "public, max-age=12", HoldHeaders = true };
        _origin.Add("/ev/720p/index.m3u8", held);
        const string Target = "/ev/720p/index.m3u8?_HLS_msn=7&_HLS_part=2";

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Players }) { BaseAddress = new Uri(_edge.Url) };
        var players = Enumerable.Range(0, Players).Select(_ => client.GetAsync(Target)).ToList();

        // Every player is in the edge, waiting on the one fill the origin is holding, before the origin answers.
        await Poll.UntilAsync(async () =>
        {
            // A player that failed will never wait: say why now rather than time out.
            if (players.FirstOrDefault(p => p.IsFaulted) is { } failed)
            {
                await failed;
            }

            return await GaugeAsync("edge_fill_waiting_requests") == Players;
        }, "all players waiting on the fill", TimeSpan.FromSeconds(30));
        Assert.Equal(1, _origin.RequestCount("/ev/720p/index.m3u8"));
        held.Release.TrySetResult();

        foreach (var player in players)
        {
            using var response = await player;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(playlist, await response.Content.ReadAsByteArrayAsync());
        }

        Assert.Equal(1, _origin.RequestCount("/ev/720p/index.m3u8"));
        Assert.Contains(Target, _origin.Targets);

        // The next playlist version is another key: one more origin request, not one per player.
        var next = Enumerable.Range(0, 20).Select(_ => client.GetAsync("/ev/720p/index.m3u8?_HLS_msn=7&_HLS_part=3")).ToList();
        foreach (var player in next)
        {
            using var response = await player;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(2, _origin.RequestCount("/ev/720p/index.m3u8"));
    }

    [Fact]
    public async Task Get_PartStillBeingWritten_StreamedToEveryPlayerAsItArrivesThenStored()
    {
        var part = CacheTestSupport.RandomBody(40_000);
        var growing = new OriginObject { Body = part, ContentType = "video/iso.segment", CacheControl = "public, max-age=31536000, immutable", Chunked = true, HoldAfter = 10_000 };
        _origin.Add("/ev/720p/part1234.m4s", growing);

        var readers = new List<(HttpResponseMessage Response, Stream Body)>();
        for (var i = 0; i < 3; i++)
        {
            var response = await _edge.Client.GetAsync("/ev/720p/part1234.m4s", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Null(response.Content.Headers.ContentLength);
            readers.Add((response, await response.Content.ReadAsStreamAsync()));
        }

        // The first 10,000 bytes reach every player while the origin is still writing the part.
        foreach (var (_, body) in readers)
        {
            var first = new byte[10_000];
            await body.ReadExactlyAsync(first);
            Assert.Equal(part.AsSpan(0, 10_000).ToArray(), first);
        }

        growing.Release.TrySetResult();
        foreach (var (response, body) in readers)
        {
            using var rest = new MemoryStream();
            await body.CopyToAsync(rest);
            Assert.Equal(part.AsSpan(10_000).ToArray(), rest.ToArray());
            response.Dispose();
        }

        Assert.Equal(1, _origin.RequestCount("/ev/720p/part1234.m4s"));
        await Poll.UntilAsync(async () =>
        {
            using var again = await _edge.Client.GetAsync("/ev/720p/part1234.m4s");
            return string.Join(", ", again.Headers.GetValues("Cache-Status")).Contains("hit", StringComparison.Ordinal)
                && again.Content.Headers.ContentLength == part.Length;
        }, "the part stored whole", TimeSpan.FromSeconds(10));
        Assert.Equal(1, _origin.RequestCount("/ev/720p/part1234.m4s"));
    }

    [Fact]
    public async Task Get_PartInALiveFolder_StoredOnItsFirstRequestPastTheDoorkeeper()
    {
        using var cache = new TempDirectory();
        await using var edge = await EdgeHost.StartAsync(_origin.Url, cache.Path, null, "edge-door", "--Edge:Admission:DoorkeeperWindow=00:10:00");
        _origin.Add("/ev/720p/index.m3u8", new OriginObject
        {
            Body = Encoding.UTF8.GetBytes("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PART-INF:PART-TARGET=0.5\n"),
            ContentType = "application/vnd.apple.mpegurl",
            CacheControl = "public, max-age=1",
        });
        _origin.Add("/ev/720p/part9.m4s", new OriginObject { Body = CacheTestSupport.RandomBody(5_000), ContentType = "video/iso.segment" });
        _origin.Add("/vod/720p/seg9.m4s", new OriginObject { Body = CacheTestSupport.RandomBody(5_000), ContentType = "video/iso.segment" });

        (await edge.Client.GetAsync("/ev/720p/index.m3u8")).Dispose();
        foreach (var path in (string[])["/ev/720p/part9.m4s", "/ev/720p/part9.m4s", "/vod/720p/seg9.m4s", "/vod/720p/seg9.m4s"])
        {
            using var response = await edge.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The live part was stored at once; the VOD segment, seen once before, only on its second request.
        Assert.Equal(1, _origin.RequestCount("/ev/720p/part9.m4s"));
        Assert.Equal(2, _origin.RequestCount("/vod/720p/seg9.m4s"));
    }

    private async Task<double> GaugeAsync(string name)
    {
        var text = await _edge.Client.GetStringAsync("/metrics");
        var match = Regex.Match(text, $@"^{name}\{{[^}}]*\}} (\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }
}
