using System.Net;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Cmcd;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Cmcd;

/// <summary>CMCD from players: kept out of the cache key and the origin's requests, counted, logged, and used to prefetch.</summary>
public sealed class CmcdServingTests : IAsyncLifetime
{
    private const string Session = "6e2fb550-c457-11e9-bb97-0800200c9a66";

    private readonly TempDirectory _dir = new();
    private OriginServer _origin = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        for (var i = 1; i <= 4; i++)
        {
            _origin.Add($"/t/seg{i}.m4s", new byte[10_000 + i], "video/iso.segment");
        }

        _origin.Add("/t/key.bin", new byte[16]);
    }

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Get_CmcdInQueryOrHeaders_OneCachedObjectAndTheOriginSeesNone()
    {
        await using var edge = await StartAsync();

        using var first = await edge.Client.GetAsync(WithCmcd("/t/seg1.m4s?v=2", $"br=3200,bl=8000,ot=v,sf=h,sid=\"{Session}\",su"));
        using var second = await edge.Client.GetAsync(WithCmcd("/t/seg1.m4s?v=2", $"br=1600,bl=12000,ot=v,sf=h,sid=\"{Session}\",bs"));
        using var headers = new HttpRequestMessage(HttpMethod.Get, "/t/seg1.m4s?v=2");
        headers.Headers.Add("CMCD-Object", "br=3200,ot=v");
        headers.Headers.Add("CMCD-Session", "sf=h,sid=\"other-session\"");
        using var third = await edge.Client.SendAsync(headers);

        Assert.All(new[] { first, second, third }, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, _origin.RequestCount("/t/seg1.m4s"));
        Assert.Equal(["/t/seg1.m4s?v=2"], _origin.Targets);
        Assert.Contains("hit", string.Join(", ", second.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);
        Assert.Contains("hit", string.Join(", ", third.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);
        Assert.False(_origin.SawHeader("CMCD-Object"));
        Assert.False(_origin.SawHeader("CMCD-Session"));

        var metrics = await edge.Client.GetStringAsync("/metrics");
        Assert.Equal(3, Metric(metrics, "edge_cmcd_requests_total", "ot=\"v\"", "sf=\"h\""));
        Assert.Equal(1, Metric(metrics, "edge_cmcd_buffer_starvation_total"));
        Assert.Equal(1, Metric(metrics, "edge_cmcd_startup_total"));
        Assert.Equal(2, Metric(metrics, "edge_cmcd_sessions_total"));
        Assert.Equal(2, Metric(metrics, "edge_cmcd_sessions_active"));
        Assert.Equal(3, Metric(metrics, "edge_cmcd_encoded_bitrate_kbps_count"));
        Assert.Equal(8000, Metric(metrics, "edge_cmcd_encoded_bitrate_kbps_sum"));
        Assert.Equal(20, Metric(metrics, "edge_cmcd_buffer_length_seconds_sum"));

        var summary = edge.GetService<CmcdQuality>().Summary();
        Assert.Equal(2, summary.Sessions);
        Assert.Equal(3, summary.Requests);
        Assert.Equal(1.0 / 3, summary.StarvedShare, 6);
        Assert.Equal(2666, summary.MeanBitrateKbps);
    }

    [Fact]
    public async Task Get_MalformedCmcd_ServedAndIgnored()
    {
        await using var edge = await StartAsync();

        using var response = await edge.Client.GetAsync("/t/seg1.m4s?CMCD=br%3Dlots%2Cbl%3D%22x%22%2C%3D%3D%2C" + new string('x', 100));
        using var header = new HttpRequestMessage(HttpMethod.Get, "/t/seg1.m4s");
        header.Headers.TryAddWithoutValidation("CMCD-Request", "\"\",,=,bl=-1,nor=\"" + new string('a', 600) + "\"");
        using var second = await edge.Client.SendAsync(header);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(1, _origin.RequestCount("/t/seg1.m4s"));
        Assert.Equal(0, Metric(await edge.Client.GetStringAsync("/metrics"), "edge_cmcd_requests_total", "ot=\"none\"", "sf=\"none\""));
    }

    [Fact]
    public async Task Get_NextObjectNamed_FilledBeforeThePlayerAsks()
    {
        await using var edge = await StartAsync();

        using var first = await edge.Client.GetAsync(WithCmcd("/t/seg1.m4s", "nor=\"seg2.m4s\",ot=v,sf=h"));
        await Poll.UntilAsync(() => Task.FromResult(edge.GetService<DiskCache>().Contains(CacheKey.Hash("/t/seg2.m4s"))), "seg2 to be stored", TimeSpan.FromSeconds(10));
        using var second = await edge.Client.GetAsync(WithCmcd("/t/seg2.m4s", "nor=\"seg3.m4s\",ot=v,sf=h"));

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Contains("hit", string.Join(", ", second.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);
        Assert.Equal(10_002, (await second.Content.ReadAsByteArrayAsync()).Length);
        Assert.Equal(1, _origin.RequestCount("/t/seg2.m4s"));
        await Poll.UntilAsync(() => Task.FromResult(edge.GetService<DiskCache>().Contains(CacheKey.Hash("/t/seg3.m4s"))), "seg3 to be stored", TimeSpan.FromSeconds(10));

        // Named again while stored: nothing more is fetched.
        using var again = await edge.Client.GetAsync(WithCmcd("/t/seg1.m4s", "nor=\"seg2.m4s\""));
        var metrics = await edge.Client.GetStringAsync("/metrics");
        Assert.Equal(2, Metric(metrics, "edge_prefetch_total", "result=\"started\""));
        Assert.Equal(1, Metric(metrics, "edge_prefetch_total", "result=\"stored\""));
        Assert.Equal(1, _origin.RequestCount("/t/seg2.m4s"));
    }

    [Theory]
    [InlineData("nor=\"http://elsewhere.example/t/seg2.m4s\"")]
    [InlineData("nor=\"//elsewhere.example/t/seg2.m4s\"")]
    [InlineData("nor=\"key.bin\"")]
    [InlineData("nor=\"seg2.m4s%00\"")]
    [InlineData("nor=\"file:///etc/passwd\"")]
    public async Task Get_NextObjectThePlayerCouldNotAskFor_NotFetched(string cmcd)
    {
        await using var edge = await StartAsync("--Edge:AllowedExtensions:0=.m4s");

        using var response = await edge.Client.GetAsync(WithCmcd("/t/seg1.m4s", cmcd));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var metrics = await edge.Client.GetStringAsync("/metrics");
        Assert.Equal(1, Metric(metrics, "edge_prefetch_total", "result=\"refused\""));
        Assert.Equal(0, _origin.RequestCount("/t/seg2.m4s"));
        Assert.Equal(0, _origin.RequestCount("/t/key.bin"));
    }

    [Fact]
    public async Task Get_PrefetchesHoldTheirShareOfOriginSlots_MoreHintsDropped()
    {
        // Four origin slots at a quarter: one prefetch at a time.
        var slow = new OriginObject { Body = new byte[1000], ContentType = "video/iso.segment", HoldHeaders = true };
        _origin.Add("/t/slow.m4s", slow);
        await using var edge = await StartAsync("--Edge:OriginMaxConcurrentFills=4", "--Edge:Prefetch:MaxOriginShare=0.25");
        var prefetch = edge.GetService<NextObjectPrefetch>();

        using var first = await edge.Client.GetAsync(WithCmcd("/t/seg1.m4s", "nor=\"slow.m4s\""));
        await slow.Held.Task.WaitAsync(TimeSpan.FromSeconds(10));
        using var second = await edge.Client.GetAsync(WithCmcd("/t/seg2.m4s", "nor=\"seg3.m4s\""));

        Assert.Equal(1, prefetch.Cap);
        Assert.Equal(1, prefetch.Running);
        var metrics = await edge.Client.GetStringAsync("/metrics");
        Assert.Equal(1, Metric(metrics, "edge_prefetch_total", "result=\"capped\""));
        Assert.Equal(0, _origin.RequestCount("/t/seg3.m4s"));

        // A player's own miss still gets a slot while the prefetch holds its share.
        using var own = await edge.Client.GetAsync("/t/seg4.m4s");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);

        slow.Release.TrySetResult();
        await Poll.UntilAsync(() => Task.FromResult(prefetch.Running == 0), "the prefetch to finish", TimeSpan.FromSeconds(10));
        using var third = await edge.Client.GetAsync(WithCmcd("/t/seg2.m4s", "nor=\"seg3.m4s\""));
        await Poll.UntilAsync(() => Task.FromResult(_origin.RequestCount("/t/seg3.m4s") == 1), "seg3 to be prefetched", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Get_PrefetchOff_NothingFetchedAhead()
    {
        await using var edge = await StartAsync("--Edge:Prefetch:Enabled=false");

        using var response = await edge.Client.GetAsync(WithCmcd("/t/seg1.m4s", "nor=\"seg2.m4s\""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, _origin.RequestCount("/t/seg2.m4s"));
        Assert.Equal(1, Metric(await edge.Client.GetStringAsync("/metrics"), "edge_cmcd_requests_total", "ot=\"none\"", "sf=\"none\""));
    }

    internal static string WithCmcd(string target, string payload) =>
        target + (target.Contains('?') ? "&" : "?") + "CMCD=" + Uri.EscapeDataString(payload);

    /// <summary>The value of the series of <paramref name="name"/> whose labels include all of <paramref name="labels"/>; 0 when absent.</summary>
    internal static double Metric(string exposition, string name, params string[] labels)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(l => line.Contains(l, StringComparison.Ordinal)))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private Task<EdgeHost> StartAsync(params string[] extra) => EdgeHost.StartAsync(_origin.Url, Path.Combine(_dir.Path, "cache"), null, "edge-c", extra);
}
