using System.Diagnostics;
using System.Text.Json;
using Edge.Testing;

namespace Edge.ControlPlane.Tests.Pages;

/// <summary>
/// Shaka Player, which nobody here wrote, on the steered URLs with a 4 s forward buffer: HLS and DASH each keep
/// playing through a SIGKILL of the serving edge. A demo of their own, as each test kills one of its edges.
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
            "--player", demo.PlayerPageUrl(title, bufferSeconds: 4) + "&engine=shaka", "--run", Path.Combine(demo.Directory, "run"));

        AssertPlaysOnAfterTheKill(result, "Shaka Player");
    }

    /// <summary>
    /// The player was killed off its edge and went on from another node through three more segments, moving
    /// within a second of its first failed request.
    /// </summary>
    internal static void AssertPlaysOnAfterTheKill(JsonElement result, string engine)
    {
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
        var failover = result.GetProperty("failover");
        Assert.True(failover.GetProperty("sinceKillMs").ValueKind == JsonValueKind.Number, "no segment from another node: " + failover);
        if (failover.GetProperty("sinceFirstFailureMs").ValueKind == JsonValueKind.Number)
        {
            Assert.True(failover.GetProperty("sinceFirstFailureMs").GetDouble() < 1000, "failover " + failover);
        }

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
            "--player", demo.PlayerPageUrl("/sample/manifest.mpd", bufferSeconds: 4), "--run", Path.Combine(demo.Directory, "run"));

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
