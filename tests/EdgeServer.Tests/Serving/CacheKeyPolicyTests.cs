using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Serving;
using Edge.EdgeServer.Tests.Caching;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Serving;

public sealed class CacheKeyPolicyTests
{
    [Theory]
    [InlineData("", "/t/seg.m4s")]
    [InlineData("?", "/t/seg.m4s")]
    [InlineData("?token=A", "/t/seg.m4s?token=A")]
    [InlineData("?b=2&a=1", "/t/seg.m4s?b=2&a=1")]
    public void KeyFor_Default_PathAndQueryAsSent(string query, string expected) =>
        Assert.Equal(expected, new CacheKeyPolicy(new CacheKeyOptions()).KeyFor("/t/seg.m4s", query));

    [Theory]
    [InlineData(QueryModes.Keep, "?CMCD=br%3D3200%2Csid%3D%22x%22&token=A", "/t/seg.m4s?token=A")]
    [InlineData(QueryModes.Keep, "?token=A&CMCD=br%3D3200", "/t/seg.m4s?token=A")]
    [InlineData(QueryModes.Keep, "?CMCD=bs", "/t/seg.m4s")]
    [InlineData(QueryModes.Sort, "?z=1&CMCD=bs&a=2", "/t/seg.m4s?a=2&z=1")]
    [InlineData(QueryModes.Ignore, "?CMCD=bs&a=2", "/t/seg.m4s")]
    [InlineData(QueryModes.Keep, "?XCMCD=1&cmcd=2", "/t/seg.m4s?XCMCD=1&cmcd=2")]
    public void KeyFor_CmcdParameter_NeverInTheKeyWhateverTheMode(string mode, string query, string expected)
    {
        var options = new CacheKeyOptions { Query = mode };

        Assert.Equal(expected, new CacheKeyPolicy(options).KeyFor("/t/seg.m4s", query));
    }

    [Fact]
    public void KeyFor_RulesByPrefix_LongestPrefixWinsAndEachModeApplies()
    {
        var options = new CacheKeyOptions();
        options.DropParameters.Add("CMCD");
        options.Rules.Add(Rule("/vod/", QueryModes.Ignore));
        options.Rules.Add(Rule("/vod/signed/", QueryModes.Keep, keep: ["Expires", "Signature"]));
        options.Rules.Add(Rule("/live/", QueryModes.Sort, drop: ["session"]));
        var policy = new CacheKeyPolicy(options);

        Assert.Equal("/t/seg.m4s?a=1", policy.KeyFor("/t/seg.m4s", "?CMCD=br%3D3200&a=1"));
        Assert.Equal("/t/seg.m4s", policy.KeyFor("/t/seg.m4s", "?CMCD=br%3D3200"));
        Assert.Equal("/vod/t/seg.m4s", policy.KeyFor("/vod/t/seg.m4s", "?anything=1"));
        Assert.Equal("/vod/signed/seg.m4s?Signature=x&Expires=9", policy.KeyFor("/vod/signed/seg.m4s", "?Signature=x&user=7&Expires=9"));
        Assert.Equal("/live/p.m3u8?_HLS_msn=12&_HLS_part=3", policy.KeyFor("/live/p.m3u8", "?_HLS_part=3&session=abc&_HLS_msn=12"));
        Assert.Equal("/live/p.m3u8?a=1&a=2&b", policy.KeyFor("/live/p.m3u8", "?b&a=2&&a=1"));
    }

    [Fact]
    public async Task Get_QueryKeyedObjects_EachQueryItsOwnObjectAndTheOriginSeesIt()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Add("/t/seg.m4s", CacheTestSupport.RandomBody(2000), "video/iso.segment");
        using var dir = new TempDirectory();
        await using var edge = await EdgeHost.StartAsync(origin.Url, dir.Path, nodeId: "edge-q");

        foreach (var target in new[] { "/t/seg.m4s?token=A", "/t/seg.m4s?token=B", "/t/seg.m4s?token=A", "/t/seg.m4s" })
        {
            using var response = await edge.Client.GetAsync(target);
            Assert.Equal(2000, (await response.Content.ReadAsByteArrayAsync()).Length);
        }

        // Three objects: A, B and the bare path; the second A is a hit.
        Assert.Equal(["/t/seg.m4s?token=A", "/t/seg.m4s?token=B", "/t/seg.m4s"], origin.Targets);
        using var hit = await edge.Client.GetAsync("/t/seg.m4s?token=B");
        Assert.Contains("hit", string.Join(",", hit.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_DroppedAndIgnoredParameters_OneObjectAndTheOriginNeverSeesThem()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Add("/t/seg.m4s", CacheTestSupport.RandomBody(1000), "video/iso.segment");
        origin.Add("/static/logo.png", CacheTestSupport.RandomBody(500), "image/png");
        using var dir = new TempDirectory();
        await using var edge = await EdgeHost.StartAsync(origin.Url, dir.Path, null, "edge-q",
            "--Edge:CacheKey:DropParameters:0=token", "--Edge:CacheKey:Query=Sort",
            "--Edge:CacheKey:Rules:0:Prefix=/static/", "--Edge:CacheKey:Rules:0:Query=Ignore");

        foreach (var target in new[] { "/t/seg.m4s?token=A&v=1&q=hd", "/t/seg.m4s?q=hd&token=B&v=1", "/static/logo.png?cb=1", "/static/logo.png?cb=2" })
        {
            using var response = await edge.Client.GetAsync(target);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(["/t/seg.m4s?q=hd&v=1", "/static/logo.png"], origin.Targets);
    }

    [Theory]
    [InlineData("Edge:CacheKey:Query", "--Edge:CacheKey:Query=Drop")]
    [InlineData("Edge:CacheKey:Rules:0:Prefix", "--Edge:CacheKey:Rules:0:Prefix=live")]
    [InlineData("Edge:CacheKey:Rules:0:Query", "--Edge:CacheKey:Rules:0:Prefix=/live/", "--Edge:CacheKey:Rules:0:Query=all")]
    public async Task Start_BadCacheKeySetting_FailsNamingTheKey(string key, params string[] args)
    {
        using var dir = new TempDirectory();
        await using var edge = EdgeProcess.Launch(["--urls=http://127.0.0.1:0", $"--Edge:CacheDirectory={dir.Path}", "--Edge:OriginUrl=http://127.0.0.1:1", .. args]);

        Assert.Equal(2, await edge.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(key, edge.Output, StringComparison.Ordinal);
    }

    private static CacheKeyRule Rule(string prefix, string mode, string[]? keep = null, string[]? drop = null)
    {
        var rule = new CacheKeyRule { Prefix = prefix, Query = mode };
        foreach (var name in keep ?? [])
        {
            rule.KeepParameters.Add(name);
        }

        foreach (var name in drop ?? [])
        {
            rule.DropParameters.Add(name);
        }

        return rule;
    }
}
