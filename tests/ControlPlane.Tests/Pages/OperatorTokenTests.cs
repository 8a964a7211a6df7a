using System.Globalization;
using Edge.Testing;

namespace Edge.ControlPlane.Tests.Pages;

public sealed class OperatorTokenTests
{
    private const string Token = "0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task OperatorPage_TokensConfigured_RefusedWithoutOneAndDrainsAnEdgeWithIt()
    {
        // Tokens configured: loopback is no longer enough, as for an operator on another machine.
        await using var origin = await OriginServer.StartAsync();
        using var cache = new TempDirectory();
        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        await using var edge = await EdgeHost.StartAsync(origin.Url, cache.Path, nodeId: "edge-t", extra:
        [
            $"--Edge:ControlPlaneUrls:0=http://127.0.0.1:{port}",
            "--Edge:HeartbeatInterval=00:00:00.200",
            $"--Edge:AdminTokens:0={Token}",
            $"--Edge:AdminCorsOrigins:0=http://127.0.0.1:{port}",
        ]);
        var topology = $$"""{"sites": [{"id": "ams", "prefixes": ["127.0.0.0/8"]}], "nodes": [{"id": "edge-t", "site": "ams", "url": "{{edge.Url}}", "capacityBps": 1000000000}]}""";
        await using var controlPlane = await ControlPlaneHost.StartAsync(topology,
            $"--urls=http://127.0.0.1:{port}", $"--ControlPlane:AdminTokens:0={Token}", "--ControlPlane:HeartbeatInterval=00:00:00.200");

        var result = await BrowserScenario.RunAsync("operator-token.mjs", "operator-token", null,
            "--operator", controlPlane.Url + "/operator", "--token", Token, "--node", "edge-t");

        Assert.Contains("401", result.GetProperty("refused").GetString(), StringComparison.Ordinal);
        Assert.True(result.GetProperty("errorHidden").GetBoolean());
        Assert.Equal("drain: draining", result.GetProperty("action").GetString());
        PlayerPageTests.AssertScreenshots(result, "operator-no-token.png", "operator-with-token.png");
    }
}
