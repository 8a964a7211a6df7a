using System.Diagnostics;
using Edge.Testing;

namespace Edge.ControlPlane.Tests.Pages;

/// <summary>The demo's live title in the player page: low-latency HLS with hls.js and low-latency DASH with dash.js.</summary>
[Collection(RealTimeGroup.Name)]
[Trait("Category", RealTimeGroup.Category)]
public sealed class LivePlayerPageTests(LiveDemoFixture live) : IClassFixture<LiveDemoFixture>
{
    [Fact]
    public async Task PlayerPage_LiveLowLatencyHls_UnderThreeSecondsBehindLiveAndThroughAnEdgeKill()
    {
        // 60 s of live play with hls.js in low-latency mode through steering; the serving edge is SIGKILLed half way.
        var demo = live.Demo;
        var result = await BrowserScenario.RunAsync("player-live.mjs", "player-live", demo,
            "--player", demo.PlayerPageUrl("/live/master.m3u8"), "--run", Path.Combine(demo.Directory, "run"), "--seconds", "60");

        var after = result.GetProperty("after");
        var killed = result.GetProperty("killedNode").GetString()!;
        Assert.True(result.GetProperty("lowLatency").GetBoolean());
        Assert.StartsWith("edge-", killed, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(demo.ProcessIdOf(killed)));

        // The demo says which of its processes died and how, and keeps the others serving.
        await Poll.UntilAsync(() => Task.FromResult(demo.Output.Contains($"edge: {killed} was killed by signal 9", StringComparison.Ordinal)), "the demo to report the killed edge", TimeSpan.FromSeconds(30));
        Assert.False(demo.HasExited);
        Assert.Equal("playing", after.GetProperty("state").GetString());
        Assert.NotEqual(killed, after.GetProperty("node").GetString());
        Assert.True(result.GetProperty("played").GetDouble() >= 59, "played " + result.GetProperty("played"));

        // Wall clock against the program date time on screen, sampled four times a second while playing: under
        // 3 s at the median in steady state, and back near live by the end (hls.js adds a second to its target
        // latency after each stall, so the failover can leave it a little further behind than before).
        var steady = result.GetProperty("beforeKill");
        Assert.True(steady.GetProperty("samples").GetInt32() >= 100);
        Assert.True(steady.GetProperty("p50").GetDouble() <= 3.0, "latency before the kill " + steady);
        Assert.True(result.GetProperty("lastTen").GetProperty("p50").GetDouble() <= 5.0, "latency at the end " + result.GetProperty("lastTen"));

        // No stall over 1 s in the whole minute, through the serving node's death too.
        var stalls = result.GetProperty("stallsBeforeKill").EnumerateArray().Concat(result.GetProperty("stallsAfterKill").EnumerateArray()).Select(s => s.GetDouble()).ToList();
        Assert.True(stalls.All(s => s <= 1.0), "stalls of " + string.Join(", ", stalls) + " s; the player's events: " + after.GetProperty("events"));

        // Left 8 s behind, the page brings the viewer back near live (hls.js alone would stay behind for good).
        var caughtUp = result.GetProperty("caughtUp");
        Assert.StartsWith("back to live", caughtUp.GetProperty("jump").GetString()!.Split(' ', 2)[1], StringComparison.Ordinal);
        Assert.True(caughtUp.GetProperty("latency").GetDouble() < 5, "latency after the jump " + caughtUp);
        PlayerPageTests.AssertScreenshots(result, "live-playing.png", "live-after-failover.png");
    }

    [Fact]
    public async Task PlayerPage_LiveLowLatencyDash_PlaysWithDashJsNearTheLiveEdge()
    {
        var demo = live.Demo;
        var result = await BrowserScenario.RunAsync("player-live-dash.mjs", "player-live-dash", demo,
            "--player", demo.PlayerPageUrl("/live/manifest.mpd"), "--seconds", "20");

        var status = result.GetProperty("status");
        Assert.StartsWith("dash.js", status.GetProperty("engine").GetString(), StringComparison.Ordinal);
        Assert.Equal("playing", status.GetProperty("state").GetString());
        Assert.True(result.GetProperty("lowLatency").GetBoolean());
        Assert.True(result.GetProperty("played").GetDouble() >= 19);
        Assert.StartsWith("edge-", status.GetProperty("node").GetString(), StringComparison.Ordinal);
        Assert.True(result.GetProperty("latencyP50").GetDouble() <= 6.0, "dash.js latency " + result.GetProperty("latencyP50"));
        PlayerPageTests.AssertScreenshots(result, "live-dash.png");
    }
}
