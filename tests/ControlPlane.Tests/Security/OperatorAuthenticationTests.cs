using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Edge.Contracts;

namespace Edge.ControlPlane.Tests.Security;

/// <summary>The control plane's operator APIs need a bearer token once tokens are set; player and node endpoints do not.</summary>
public sealed class OperatorAuthenticationTests
{
    private const string Token = "0123456789abcdef0123456789abcdef";
    private const string Topology = """
        {"sites": [{"id": "ams", "prefixes": ["127.0.0.0/8", "::1/128"]}],
         "nodes": [{"id": "edge-1", "site": "ams", "url": "http://127.0.0.1:1", "capacityBps": 1000000000}]}
        """;

    [Theory]
    [InlineData("/v1/nodes")]
    [InlineData("/v1/topology")]
    [InlineData("/v1/explain?client=127.0.0.1&path=/t/master.m3u8")]
    public async Task OperatorApi_NoToken_401AndWithToken_200(string path)
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology, $"--ControlPlane:AdminTokens:0={Token}");

        using (var refused = await host.Client.GetAsync(path))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var served = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task PlayerAndNodeEndpoints_TokensSet_NeedNone()
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology, $"--ControlPlane:AdminTokens:0={Token}");

        using var heartbeat = await host.Client.PostAsJsonAsync("/v1/nodes/edge-1/heartbeat", new NodeReport { NodeId = "edge-1", Ready = true }, ContractsJsonContext.Default.NodeReport);
        using var steer = await host.Client.GetAsync("/v1/steer/t/master.m3u8?format=json");
        using var health = await host.Client.GetAsync("/healthz");
        using var metrics = await host.Client.GetAsync("/metrics");

        Assert.True(heartbeat.IsSuccessStatusCode, heartbeat.StatusCode.ToString());
        Assert.Equal(HttpStatusCode.OK, steer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task OperatorApi_NoTokensConfigured_LoopbackClientServed()
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology);

        using var response = await host.Client.GetAsync("/v1/nodes");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Heartbeat_NodeTokensSet_OnlyANodeWithOneIsHeard()
    {
        const string nodeToken = "node-token-0123456789abcdef";
        await using var host = await ControlPlaneHost.StartAsync(Topology, $"--ControlPlane:NodeTokens:0={nodeToken}");
        var report = new NodeReport { NodeId = "edge-1", Ready = true };

        using var anonymous = await host.Client.PostAsJsonAsync("/v1/nodes/edge-1/heartbeat", report, ContractsJsonContext.Default.NodeReport);
        using var operatorToken = new HttpRequestMessage(HttpMethod.Post, "/v1/nodes/edge-1/heartbeat") { Content = JsonContent.Create(report, ContractsJsonContext.Default.NodeReport) };
        operatorToken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var wrong = await host.Client.SendAsync(operatorToken);
        using var node = new HttpRequestMessage(HttpMethod.Post, "/v1/nodes/edge-1/heartbeat") { Content = JsonContent.Create(report, ContractsJsonContext.Default.NodeReport) };
        node.Headers.Authorization = new AuthenticationHeaderValue("Bearer", nodeToken);
        using var heard = await host.Client.SendAsync(node);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, heard.StatusCode);
    }
}
