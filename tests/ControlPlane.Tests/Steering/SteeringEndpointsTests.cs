using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Edge.Contracts;
using Edge.Testing;

namespace Edge.ControlPlane.Tests.Steering;

public sealed class SteeringEndpointsTests
{
    private static readonly string Topology = SteeringWorld.Json(
        new SiteSpec("ams", 2, ["127.0.0.0/8", "::1/128"], ["fra"], 52.37, 4.90),
        new SiteSpec("fra", 1, ["10.2.0.0/16"], null, 50.11, 8.68),
        new SiteSpec("nyc", 1, null, null, 40.71, -74.0));

    private static async Task<ControlPlaneHost> StartAllUpAsync(params string[] extra)
    {
        var host = await ControlPlaneHost.StartAsync(Topology, extra);
        foreach (var node in new[] { "ams-1", "ams-2", "fra-1", "nyc-1" })
        {
            await host.HeartbeatAsync(node);
        }

        return host;
    }

    [Fact]
    public async Task Steer_Default_RedirectsToBestNodeWithCors()
    {
        await using var host = await StartAllUpAsync();

        using var response = await host.Client.GetAsync("/v1/steer/sample/720p/seg-1.m4s?token=abc&lat=1&lon=2");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Matches(@"^http://127\.0\.0\.1:2000[01]/sample/720p/seg-1\.m4s\?token=abc$", response.Headers.Location!.ToString());
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
    }

    [Theory]
    [InlineData("?format=json", null)]
    [InlineData("", "application/json")]
    public async Task Steer_JsonRequested_RankedListWithSites(string query, string? accept)
    {
        await using var host = await StartAllUpAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/steer/sample/master.m3u8" + query);
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using var response = await host.Client.SendAsync(request);
        var answer = await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.SteeringAnswer);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("sample", "ams", "prefix"), (answer!.Title, answer.Site, answer.Match));
        Assert.Equal(["ams", "ams", "fra", "nyc"], answer.Candidates.Select(c => c.Site));
        Assert.All(answer.Candidates, c => Assert.EndsWith("/sample/master.m3u8", c.Url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Steer_NoNodeUp_503WithClearBody()
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology);

        using var response = await host.Client.GetAsync("/v1/steer/sample/master.m3u8");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.StartsWith("no healthy edge node can serve this request", body, StringComparison.Ordinal);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task Steer_DrainingNode_NeverChosen()
    {
        await using var host = await StartAllUpAsync();
        await host.HeartbeatAsync("ams-1", ready: false, draining: true);

        for (var i = 0; i < 50; i++)
        {
            using var response = await host.Client.GetAsync($"/v1/steer/title-{i}/master.m3u8?format=json");
            var answer = await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.SteeringAnswer);
            Assert.DoesNotContain(answer!.Candidates, c => c.Node == "ams-1");
        }
    }

    [Theory]
    [InlineData("/v1/steer/", HttpStatusCode.BadRequest)]
    [InlineData("/v1/steer/a%5Cb.m4s", HttpStatusCode.BadRequest)]
    [InlineData("/v1/steer/a//b.m4s", HttpStatusCode.BadRequest)]
    [InlineData("/v1/steer/a/b.m4s?lat=100&lon=1", HttpStatusCode.BadRequest)]
    [InlineData("/v1/steer/a/b.m4s?lat=10", HttpStatusCode.BadRequest)]
    [InlineData("/v1/play/a/seg.m4s", HttpStatusCode.BadRequest)]
    [InlineData("/v1/explain?client=banana&path=/a/b", HttpStatusCode.BadRequest)]
    [InlineData("/v1/explain?path=relative", HttpStatusCode.BadRequest)]
    public async Task Request_Malformed_4xx(string target, HttpStatusCode expected)
    {
        await using var host = await StartAllUpAsync();

        using var response = await host.Client.GetAsync(target);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Steer_LongPath_414()
    {
        await using var host = await StartAllUpAsync();

        using var response = await host.Client.GetAsync("/v1/steer/" + new string('a', 3000));

        Assert.Equal(HttpStatusCode.RequestUriTooLong, response.StatusCode);
    }

    [Fact]
    public async Task Steer_Preflight_AllowsRequestedHeaders()
    {
        await using var host = await StartAllUpAsync();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/v1/steer/sample/master.m3u8");
        request.Headers.Add("Origin", "https://player.example");
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "range");

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("range", response.Headers.GetValues("Access-Control-Allow-Headers").Single());
        Assert.Contains("GET", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Steer_UntrustedForwardedFor_Ignored()
    {
        await using var host = await StartAllUpAsync();

        Assert.Equal("ams", await SiteForAsync(host, "10.2.3.4"));
    }

    [Fact]
    public async Task Steer_TrustedProxyForwardedFor_ClientAddressUsed()
    {
        await using var host = await StartAllUpAsync("--ControlPlane:TrustedProxies:0=127.0.0.0/8", "--ControlPlane:TrustedProxies:1=::1");

        Assert.Equal("fra", await SiteForAsync(host, "10.2.3.4"));
    }

    [Fact]
    public async Task Steer_UnknownPrefixWithLocation_NearestSite()
    {
        await using var host = await StartAllUpAsync("--ControlPlane:TrustedProxies:0=127.0.0.0/8", "--ControlPlane:TrustedProxies:1=::1");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/steer/t/master.m3u8?format=json&lat=40.0&lon=-75.0");
        request.Headers.Add("X-Forwarded-For", "192.0.2.7");

        using var response = await host.Client.SendAsync(request);
        var answer = await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.SteeringAnswer);

        Assert.Equal(("nyc", "location"), (answer!.Site, answer.Match));
        Assert.Equal("nyc-1", answer.Candidates[0].Node);
    }

    [Fact]
    public async Task Heartbeat_BadInput_4xxNamingProblem()
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology);

        using var unknown = await host.Client.PostAsJsonAsync("/v1/nodes/mars-1/heartbeat", new NodeReport { NodeId = "mars-1" }, ContractsJsonContext.Default.NodeReport);
        using var mismatch = await host.Client.PostAsJsonAsync("/v1/nodes/ams-1/heartbeat", new NodeReport { NodeId = "ams-2" }, ContractsJsonContext.Default.NodeReport);
        using var garbage = await host.Client.PostAsync("/v1/nodes/ams-1/heartbeat", new StringContent("{not json", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("'mars-1' is not in the topology", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
    }

    [Fact]
    public async Task SteeringManifest_NodeDraining_RankedLastAmongOfferedPathways()
    {
        await using var host = await StartAllUpAsync();
        await host.HeartbeatAsync("ams-2", ready: false, draining: true);

        using var response = await host.Client.GetAsync("/v1/steering/hls?path=%2Fsample%2Fmaster.m3u8&pathways=ams-2,ams-1,fra-1&_HLS_pathway=ams-2&_HLS_throughput=1000000");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;

        Assert.Equal(1, root.GetProperty("VERSION").GetInt32());
        Assert.Equal(10, root.GetProperty("TTL").GetInt32());
        Assert.Equal(["ams-1", "fra-1", "ams-2"], root.GetProperty("PATHWAY-PRIORITY").EnumerateArray().Select(e => e.GetString()));
        var reload = root.GetProperty("RELOAD-URI").GetString()!;
        // Absolute, so a player that adds its parameters before resolving it (Shaka) still has a URL.
        Assert.StartsWith(host.Client.BaseAddress!.GetLeftPart(UriPartial.Authority) + "/v1/steering/hls?", reload, StringComparison.Ordinal);
        Assert.DoesNotContain("_HLS_", reload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DashSteeringManifest_ServiceLocationPriority()
    {
        await using var host = await StartAllUpAsync();

        using var json = JsonDocument.Parse(await host.Client.GetStringAsync("/v1/steering/dash?path=%2Fs%2Fm.mpd&pathways=fra-1,ams-1"));

        Assert.Equal(["ams-1", "fra-1"], json.RootElement.GetProperty("SERVICE-LOCATION-PRIORITY").EnumerateArray().Select(e => e.GetString()));

        // The same order under the key Shaka Player reads for DASH too.
        Assert.Equal(["ams-1", "fra-1"], json.RootElement.GetProperty("PATHWAY-PRIORITY").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Play_HlsMaster_ContentSteeredFromBestNode()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Add("/sample/master.m3u8", Encoding.UTF8.GetBytes("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS=\"avc1.64001e\",RESOLUTION=640x360\n360p/index.m3u8\n"), "application/vnd.apple.mpegurl");
        var topology = $$"""{"sites":[{"id":"ams","prefixes":["127.0.0.0/8","::1/128"]}],"nodes":[{"id":"o-1","site":"ams","url":"{{origin.Url}}","capacityBps":1000000000}]}""";
        await using var host = await ControlPlaneHost.StartAsync(topology);
        await host.HeartbeatAsync("o-1");

        using var response = await host.Client.GetAsync("/v1/play/sample/master.m3u8");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.apple.mpegurl", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("#EXT-X-CONTENT-STEERING:SERVER-URI=\"/v1/steering/hls?path=%2Fsample%2Fmaster.m3u8&pathways=o-1\",PATHWAY-ID=\"o-1\"", body, StringComparison.Ordinal);
        Assert.Contains(origin.Url.TrimEnd('/') + "/sample/360p/index.m3u8", body, StringComparison.Ordinal);

        using var missing = await host.Client.GetAsync("/v1/play/nothing/master.m3u8");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("#EXTM3U\n#EXT-X-PART-INF:PART-TARGET=0.5\n#EXTINF:2.0,\nseg1.m4s\n", true, 2)]
    [InlineData("#EXTM3U\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:2.0,\nseg1.m4s\n#EXT-X-ENDLIST\n", false, 10)]
    public async Task Play_LiveHlsTitle_SteeringManifestReloadedOften(string media, bool live, int ttl)
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Add("/ev/master.m3u8", Encoding.UTF8.GetBytes("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS=\"avc1.64001e\",RESOLUTION=640x360\n360p/index.m3u8\n"), "application/vnd.apple.mpegurl");
        origin.Add("/ev/360p/index.m3u8", Encoding.UTF8.GetBytes(media), "application/vnd.apple.mpegurl");
        var topology = $$"""{"sites":[{"id":"ams","prefixes":["127.0.0.0/8","::1/128"]}],"nodes":[{"id":"o-1","site":"ams","url":"{{origin.Url}}","capacityBps":1000000000}]}""";
        await using var host = await ControlPlaneHost.StartAsync(topology);
        await host.HeartbeatAsync("o-1");

        var body = await host.Client.GetStringAsync("/v1/play/ev/master.m3u8");
        var serverUri = System.Text.RegularExpressions.Regex.Match(body, "SERVER-URI=\"([^\"]+)\"").Groups[1].Value;
        using var json = JsonDocument.Parse(await host.Client.GetStringAsync(serverUri));

        Assert.Equal(live, serverUri.EndsWith("&live=1", StringComparison.Ordinal));
        Assert.Equal(ttl, json.RootElement.GetProperty("TTL").GetInt32());
        Assert.Equal(live, json.RootElement.GetProperty("RELOAD-URI").GetString()!.Contains("live=1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Explain_Client_ShowsMatchCandidatesAndScores()
    {
        await using var host = await StartAllUpAsync();
        await host.HeartbeatAsync("ams-1", ready: false, draining: true);

        using var json = JsonDocument.Parse(await host.Client.GetStringAsync("/v1/explain?client=10.2.9.9&path=/sample/master.m3u8"));
        var root = json.RootElement;

        Assert.Equal("fra", root.GetProperty("site").GetString());
        Assert.Equal("10.2.0.0/16", root.GetProperty("prefix").GetString());
        Assert.Equal("fra-1", root.GetProperty("candidates")[0].GetProperty("node").GetString());
        var nodes = root.GetProperty("sites").EnumerateArray().SelectMany(s => s.GetProperty("nodes").EnumerateArray()).ToList();
        Assert.Equal(4, nodes.Count);
        var ams1 = nodes.Single(n => n.GetProperty("node").GetString() == "ams-1");
        Assert.Equal("draining", ams1.GetProperty("reason").GetString());
        Assert.All(nodes.Where(n => n.GetProperty("eligible").GetBoolean()), n => Assert.True(n.GetProperty("score").GetDouble() > 0));
    }

    [Fact]
    public async Task Metrics_AfterDecisions_DecisionsNodesAndLatency()
    {
        await using var host = await StartAllUpAsync();
        await host.HeartbeatAsync("nyc-1", ready: false, draining: true);
        (await host.Client.GetAsync("/v1/steer/a/master.m3u8")).Dispose();
        (await host.Client.GetAsync("/v1/steer/b/master.m3u8")).Dispose();

        var text = await host.Client.GetStringAsync("/metrics");

        Assert.Contains("controlplane_steering_decisions_total{site=\"ams\",result=\"local\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("controlplane_steering_decision_seconds_count 2", text, StringComparison.Ordinal);
        Assert.Contains("controlplane_nodes{state=\"up\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("controlplane_nodes{state=\"draining\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("controlplane_node_up{node=\"fra-1\",site=\"fra\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_NodeRemovedFromTopology_SeriesGone()
    {
        await using var host = await StartAllUpAsync();
        Assert.Contains("node=\"nyc-1\"", await host.Client.GetStringAsync("/metrics"), StringComparison.Ordinal);

        var store = (Edge.ControlPlane.Topology.TopologyStore)host.App.Services.GetService(typeof(Edge.ControlPlane.Topology.TopologyStore))!;
        await File.WriteAllTextAsync(host.TopologyPath, SteeringWorld.Json(new SiteSpec("ams", 2, ["127.0.0.0/8", "::1/128"])));
        Assert.True(store.Reload());

        Assert.DoesNotContain("node=\"nyc-1\"", await host.Client.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    private static async Task<string> SiteForAsync(ControlPlaneHost host, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/steer/t/master.m3u8?format=json");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await host.Client.SendAsync(request);
        return (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.SteeringAnswer))!.Site;
    }
}
