namespace Edge.ControlPlane.Tests.Pages;

[Collection(DemoGroup.Name)]
public sealed class OperatorPageTests(DemoFixture fixture)
{
    [Fact]
    public async Task OperatorPage_DrainUndrainAndFillButtons_ReachTheEdgeAndShowInTheLiveView()
    {
        // edge-3 is alone in its site and never serves loopback players first, so other tests' playback is untouched.
        var demo = fixture.Demo;
        var result = await BrowserScenario.RunAsync("operator-actions.mjs", "operator-actions", demo, "--operator", demo.OperatorPageUrl, "--node", "edge-3", "--player", demo.PlayerPageUrl("/sample/master.m3u8"));

        Assert.Equal(["local-a", "local-b"], result.GetProperty("sites").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(["edge-1", "edge-2", "edge-3"], result.GetProperty("rows").EnumerateArray().Select(s => s.GetString()).Order());
        Assert.Equal("draining", result.GetProperty("drained").GetString());
        Assert.Equal("up", result.GetProperty("undrained").GetString());
        Assert.Matches(@"fill done: (\d+) of \1 objects", result.GetProperty("fill").GetString());
        var text = result.GetProperty("text").GetString()!;
        foreach (var column in new[] { "Egress", "Connections", "Cache full", "Hit ratio", "Players", "Rebuffering", "Bitrate", "Heartbeat" })
        {
            Assert.Contains(column, text, StringComparison.OrdinalIgnoreCase);
        }

        // The node serving the player shows it, with the bitrate it asks for, from the CMCD it sends.
        var quality = result.GetProperty("quality");
        Assert.StartsWith("edge-", quality.GetProperty("node").GetString(), StringComparison.Ordinal);
        Assert.True(quality.GetProperty("players").GetInt32() >= 1);
        Assert.Matches(@"^\d+(\.\d)?%$", quality.GetProperty("rebuffering").GetString());
        Assert.Matches(@"^[\d.]+ Mbit/s$", quality.GetProperty("bitrate").GetString());

        PlayerPageTests.AssertScreenshots(result, "operator-draining.png", "operator-fill.png", "operator-players.png");
    }
}
