using System.Diagnostics;
using System.Text.Json;
using Edge.Testing;

namespace Edge.ControlPlane.Tests.Pages;

/// <summary>
/// Shaka Player, which nobody here wrote, on the steered URLs from a page on another origin with a 4 s forward
/// buffer: HLS and DASH each keep playing through a SIGKILL of the serving edge. A demo of their own, as each test
/// kills one of its edges.
/// </summary>
[Collection(DemoGroup.Name)]
public sealed class PlayerFailoverTests(FailoverDemoFixture fixture) : IClassFixture<FailoverDemoFixture>
{
    [Theory]
    [InlineData("/sample/master.m3u8")]
    [InlineData("/sample/manifest.mpd")]
    public async Task PlayerPage_ShakaServingEdgeKilled_KeepsPlayingFromAnotherNode(string title)
    {
        var demo = fixture.Demo;
        var name = "shaka-failover" + Path.GetExtension(title).Replace('.', '-');
        var result = await BrowserScenario.RunAsync("player-failover.mjs", name, demo,
            "--player", demo.CrossOriginPlayerPageUrl(title, bufferSeconds: 4) + "&engine=shaka", "--run", Path.Combine(demo.Directory, "run"));

        AssertPlaysOnAfterTheKill(result, "Shaka Player");
        if (title.EndsWith(".mpd", StringComparison.Ordinal))
        {
            // Shaka sends CMCD for DASH only; see the player page.
            await PlayerPageTests.AssertCmcdReachedTheEdgesAsync(demo, result.GetProperty("after"), "d", namesNextObject: false);
        }
    }

    /// <summary>
    /// The player was killed off its edge and went on from another node through three more segments, giving up on
    /// the dead node after a few failed requests.
    /// </summary>
    internal static void AssertPlaysOnAfterTheKill(JsonElement result, string engine)
    {
        // The page is on another origin than the control plane it plays through.
        var origins = result.GetProperty("origins");
        Assert.NotEqual(origins.GetProperty("page").GetString(), origins.GetProperty("play").GetString());

        var before = result.GetProperty("before");
        var after = result.GetProperty("after");
        var killed = result.GetProperty("killedNode").GetString()!;
        Assert.StartsWith(engine, before.GetProperty("engine").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("edge-", killed, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(result.GetProperty("killedPid").GetInt32()));

        // It went on from another node through three more segments, and moved quickly once a request failed.
        Assert.True(after.GetProperty("state").GetString() == "playing", "the player's events: " + after.GetProperty("events") + " errors: " + after.GetProperty("errors") + " failover: " + result.GetProperty("failover"));
        Assert.True(after.GetProperty("currentTime").GetDouble() >= result.GetProperty("killedAt").GetDouble() + 3 * DemoFixture.SegmentSeconds);
        Assert.NotEqual(killed, after.GetProperty("node").GetString());
        Assert.True(after.GetProperty("nodeChanges").GetInt32() >= 1);

        // It gave up on the dead node after a retry or so for each of video, audio and playlist, not after several
        // rounds. How long that took is in result.json (and the README), not asserted: timing belongs to benchmarks.
        var failover = result.GetProperty("failover");
        Assert.True(failover.GetProperty("sinceKillMs").ValueKind == JsonValueKind.Number, "no segment from another node: " + failover);
        Assert.InRange(failover.GetProperty("failedRequests").GetInt32(), 0, 6);

        PlayerPageTests.AssertScreenshots(result, "player-playing.png", "player-after-failover.png");
    }
}

/// <summary>dash.js on the steered MPD with a 4 s forward buffer, through a SIGKILL of its edge, on a demo of its own.</summary>
[Collection(DemoGroup.Name)]
public sealed class DashJsFailoverTests(FailoverDemoFixture fixture) : IClassFixture<FailoverDemoFixture>
{
    [Fact]
    public async Task PlayerPage_DashJsServingEdgeKilled_KeepsPlayingFromAnotherNode()
    {
        var demo = fixture.Demo;
        var result = await BrowserScenario.RunAsync("player-failover.mjs", "dashjs-failover", demo,
            "--player", demo.CrossOriginPlayerPageUrl("/sample/manifest.mpd", bufferSeconds: 4), "--run", Path.Combine(demo.Directory, "run"));

        PlayerFailoverTests.AssertPlaysOnAfterTheKill(result, "dash.js");
    }
}

/// <summary>The demo for the failover tests: a 24 s title, long enough to play on after a kill.</summary>
public sealed class FailoverDemoFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();

    public DemoCdn Demo { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Demo = await DemoCdn.StartAsync(_directory.Path, sourceSeconds: 24, patience: TimeSpan.FromMinutes(8));

    public async Task DisposeAsync()
    {
        if (Demo is not null)
        {
            await Demo.DisposeAsync();
        }

        _directory.Dispose();
    }
}
