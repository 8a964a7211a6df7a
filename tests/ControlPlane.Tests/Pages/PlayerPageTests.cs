using System.Diagnostics;
using System.Text.Json;
using Edge.Testing;

namespace Edge.ControlPlane.Tests.Pages;

[Collection(DemoGroup.Name)]
public sealed class PlayerPageTests(DemoFixture fixture)
{
    [Fact]
    public async Task PlayerPage_ServingEdgeKilledMidPlayback_KeepsPlayingFromAnotherNode()
    {
        // A short forward buffer, so that most of the title is still to be fetched when the node dies.
        var demo = fixture.Demo;
        var result = await BrowserScenario.RunAsync("player-failover.mjs", "player-failover", demo,
            "--player", demo.CrossOriginPlayerPageUrl("/sample/master.m3u8", bufferSeconds: 4), "--operator", demo.OperatorPageUrl, "--run", Path.Combine(demo.Directory, "run"));

        var before = result.GetProperty("before");
        var after = result.GetProperty("after");
        var killed = result.GetProperty("killedNode").GetString()!;
        Assert.StartsWith("hls.js", before.GetProperty("engine").GetString(), StringComparison.Ordinal);
        Assert.Equal("playing", before.GetProperty("state").GetString());
        Assert.StartsWith("edge-", killed, StringComparison.Ordinal);
        Assert.Matches(@"^\d+p · [\d.]+ Mbit/s", before.GetProperty("rendition").GetString());

        // The edge process is really gone, and the player went on from another node through three more segments.
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(result.GetProperty("killedPid").GetInt32()));
        Assert.Equal("playing", after.GetProperty("state").GetString());
        Assert.True(after.GetProperty("currentTime").GetDouble() >= result.GetProperty("killedAt").GetDouble() + 3 * DemoFixture.SegmentSeconds);
        Assert.NotEqual(killed, after.GetProperty("node").GetString());
        Assert.True(after.GetProperty("nodeChanges").GetInt32() >= 1);
        Assert.True(after.GetProperty("segments").GetInt32() >= result.GetProperty("loadedAtKill").GetInt32() + 3);

        // The operator page shows the killed node down, its figures as last known, and its actions off.
        Assert.Contains("down", result.GetProperty("operatorRow").GetString(), StringComparison.Ordinal);
        Assert.Contains("last known", result.GetProperty("operatorRow").GetString(), StringComparison.Ordinal);
        var actions = result.GetProperty("operatorActions").EnumerateArray().ToList();
        Assert.Equal(2, actions.Count);
        Assert.All(actions, a => Assert.True(a.GetProperty("disabled").GetBoolean(), a.GetProperty("text").GetString() + " is enabled"));
        AssertScreenshots(result, "player-playing.png", "player-after-failover.png", "operator-node-down.png");
        await AssertCmcdReachedTheEdgesAsync(demo, after, "h", namesNextObject: true);
    }

    [Fact]
    public async Task PlayerPage_DashManifest_PlaysThreeSegmentsWithDashJs()
    {
        var demo = fixture.Demo;
        var result = await BrowserScenario.RunAsync("player-dash.mjs", "player-dash", demo, "--player", demo.PlayerPageUrl("/sample/manifest.mpd", bufferSeconds: 4));

        var status = result.GetProperty("status");
        Assert.StartsWith("dash.js", status.GetProperty("engine").GetString(), StringComparison.Ordinal);
        Assert.Equal("playing", status.GetProperty("state").GetString());
        Assert.True(status.GetProperty("currentTime").GetDouble() >= result.GetProperty("start").GetDouble() + 3 * DemoFixture.SegmentSeconds);
        Assert.True(status.GetProperty("segments").GetInt32() >= 3);
        Assert.StartsWith("edge-", result.GetProperty("shown").GetProperty("node").GetString(), StringComparison.Ordinal);
        Assert.Contains("Mbit/s", result.GetProperty("shown").GetProperty("rendition").GetString(), StringComparison.Ordinal);
        // dash.js 5 names a setting it no longer knows on the console; the page uses none.
        Assert.DoesNotContain(result.GetProperty("log").EnumerateArray(), e => e.GetString()!.Contains("Settings parameter", StringComparison.Ordinal));

        // The page's buffer cap holds with dash.js 5: about 4 s ahead, not the player's own default of 12 s or more.
        Assert.InRange(status.GetProperty("bufferAhead").GetDouble(), 0, 4 + DemoFixture.SegmentSeconds + 0.5);
        AssertScreenshots(result, "player-dash.png");
        await AssertCmcdReachedTheEdgesAsync(demo, status, "d", namesNextObject: true);
    }

    [Fact]
    public async Task Pages_PhoneWidth_FitWithoutScrollingSideways()
    {
        var demo = fixture.Demo;
        var result = await BrowserScenario.RunAsync("pages-narrow.mjs", "pages-narrow", demo,
            "--player", demo.PlayerPageUrl("/sample/master.m3u8"), "--operator", demo.OperatorPageUrl, "--width", "420");

        foreach (var page in new[] { "player", "operator" })
        {
            var widths = result.GetProperty(page);
            Assert.True(widths.GetProperty("scrollWidth").GetInt32() <= 420, page + " is " + widths + " at 420 px");
        }

        AssertScreenshots(result, "player-420.png", "operator-420.png");
    }

    internal static void AssertScreenshots(JsonElement result, params string[] names)
    {
        var files = result.GetProperty("screenshots").EnumerateArray().Select(s => s.GetString()!).ToList();
        foreach (var name in names)
        {
            var file = Assert.Single(files, f => Path.GetFileName(f) == name);
            Assert.True(new FileInfo(file).Length > 1000, file + " is not a screenshot");
        }
    }

    /// <summary>
    /// The player sent CMCD (CTA-5004) with its session id on its requests, and the edges understood it: their access
    /// logs carry it parsed, with the streaming format, media object types and bitrates, and the next object it named.
    /// </summary>
    internal static async Task AssertCmcdReachedTheEdgesAsync(DemoCdn demo, JsonElement status, string format, bool namesNextObject)
    {
        var session = status.GetProperty("cmcdSession").GetString()!;
        List<JsonElement> lines = [];
        await Poll.UntilAsync(
            () =>
            {
                lines = [.. AccessLines(demo).Where(l => l.GetProperty("edge").TryGetProperty("cmcd", out var c) && c.TryGetProperty("sid", out var sid) && sid.GetString() == session)];
                return Task.FromResult(lines.Count(l => l.GetProperty("edge").GetProperty("cmcd").TryGetProperty("br", out _)) >= 3);
            },
            "three media requests with the player's CMCD in the edges' access logs",
            TimeSpan.FromSeconds(10));

        var cmcd = lines.Select(l => l.GetProperty("edge").GetProperty("cmcd")).ToList();
        Assert.All(cmcd, c => Assert.Equal(format, c.GetProperty("sf").GetString()));
        Assert.Contains(cmcd, c => c.TryGetProperty("ot", out var ot) && ot.GetString() is "v" or "av" && c.GetProperty("br").GetInt32() > 0);
        if (namesNextObject)
        {
            Assert.Contains(cmcd, c => c.TryGetProperty("nor", out var nor) && nor.GetString()!.Length > 0);
        }

        // CMCD never reached the cache key: no object is stored or fetched under a URL that carries it.
        Assert.All(lines, l => Assert.DoesNotContain("CMCD", l.GetProperty("edge").GetProperty("cache_status").GetString() ?? "", StringComparison.Ordinal));
    }

    private static IEnumerable<JsonElement> AccessLines(DemoCdn demo)
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(demo.Directory, "logs"), "edge-*.access.log"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (line.EndsWith('}'))
                {
                    yield return JsonDocument.Parse(line).RootElement.Clone();
                }
            }
        }
    }
}
