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

    [Theory]
    [InlineData("/V1/nodes")]
    [InlineData("/v1/Topology")]
    [InlineData("/V1/TOPOLOGY/")]
    [InlineData("/v1/Explain?client=127.0.0.1&path=/t/master.m3u8")]
    [InlineData("/v1/%6Eodes")]
    [InlineData("/v1/nodes/")]
    public async Task OperatorApi_AnySpellingWithoutToken_401(string path)
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology, $"--ControlPlane:AdminTokens:0={Token}");

        using var refused = await host.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.DoesNotContain("edge-1", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Endpoints_EveryMappedEndpoint_AnonymousByNameOrRefusedInEverySpelling()
    {
        string[] anonymous = ["/healthz", "/readyz", "/metrics", "/", "/player", "/operator", "/v1/steer/{**path}", "/v1/play/{**path}", "/v1/steering/hls", "/v1/steering/dash"];
        await using var host = await ControlPlaneHost.StartAsync(Topology, $"--ControlPlane:AdminTokens:0={Token}", $"--ControlPlane:NodeKeys:0={NodeKey}");
        var endpoints = Edge.Testing.EndpointVariants.All(host.App);
        Assert.Contains(endpoints, e => e.Pattern == "/v1/nodes");
        foreach (var (pattern, isAnonymous, endpoint) in endpoints)
        {
            if (isAnonymous)
            {
                Assert.Contains(pattern, anonymous);
                continue;
            }

            foreach (var path in Edge.Testing.EndpointVariants.Spellings(Edge.Testing.EndpointVariants.Concrete(endpoint.RoutePattern)))
            {
                foreach (var method in new[] { "GET", "HEAD", "POST", "PUT", "DELETE" })
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    if (method is "POST" or "PUT")
                    {
                        request.Content = JsonContent.Create(new NodeReport { NodeId = "x", Ready = true }, ContractsJsonContext.Default.NodeReport);
                    }

                    using var response = await host.Client.SendAsync(request);
                    Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.MethodNotAllowed, $"{method} {path} ({pattern}) answered {(int)response.StatusCode} without a token");
                }
            }
        }
    }

    [Fact]
    public async Task Heartbeat_NodeKeysSet_EachNodeOnlyWithItsOwnToken()
    {
        const string topology = """
            {"sites": [{"id": "ams", "prefixes": ["127.0.0.0/8", "::1/128"]}],
             "nodes": [{"id": "edge-1", "site": "ams", "url": "http://127.0.0.1:1", "capacityBps": 1000000000},
                       {"id": "edge-2", "site": "ams", "url": "http://127.0.0.1:2", "capacityBps": 1000000000}]}
            """;
        await using var host = await ControlPlaneHost.StartAsync(topology, $"--ControlPlane:NodeKeys:0={NodeKey}");

        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(host, "edge-1", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(host, "edge-1", Token));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(host, "edge-1", NodeKey));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(host, "edge-1", NodeCredentials.Derive(NodeKey, "edge-2")));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(host, "EDGE-1", NodeCredentials.Derive(NodeKey, "edge-1")));
        Assert.Equal(HttpStatusCode.NoContent, await PostAsync(host, "edge-1", NodeCredentials.Derive(NodeKey, "edge-1")));
        Assert.Equal(HttpStatusCode.NoContent, await PostAsync(host, "edge-2", NodeCredentials.Derive(NodeKey, "edge-2")));
    }

    [Fact]
    public void Derive_SameAsOpenssl_HexHmacSha256OfTheNodeId()
    {
        // printf %s edge-1 | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData("0123456789abcdef0123456789abcdef"u8, "edge-1"u8)), NodeCredentials.Derive(Token, "edge-1"));
        Assert.Equal(64, NodeCredentials.Derive(Token, "edge-1").Length);
    }

    [Theory]
    [InlineData("""{"nodeId":"edge-1","ready":true,"egressBitsPerSecond":-1}""", "egressBitsPerSecond")]
    [InlineData("""{"nodeId":"edge-1","ready":true,"requests":1,"hits":99999}""", "hits")]
    [InlineData("""{"nodeId":"edge-1","ready":true,"activeConnections":-5}""", "activeConnections")]
    [InlineData("""{"nodeId":"edge-1","ready":true,"cacheUsedBytes":-5}""", "cache sizes")]
    [InlineData("""{"nodeId":"edge-2","ready":true}""", "nodeId")]
    [InlineData("""{"nodeId":"edge-1","ready":true,"sequence":-1}""", "counters")]
    [InlineData("""{"nodeId":"edge-1","ready":true,"playerSessions":-1}""", "playerSessions")]
    [InlineData("""{"nodeId":"edge-1","ready":true,"rebufferingShare":1.5}""", "rebufferingShare")]
    [InlineData("""{"nodeId":"edge-1","ready":true,"rebufferingShare":-0.1}""", "rebufferingShare")]
    [InlineData("""{"nodeId":"edge-1","ready":true,"meanBitrateKbps":99999999999}""", "meanBitrateKbps")]
    public async Task Heartbeat_NonsenseValues_400NamingTheFieldAndNotHeard(string body, string named)
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology);

        using var response = await host.Client.PostAsync("/v1/nodes/edge-1/heartbeat", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("lastHeartbeat", await host.Client.GetStringAsync("/v1/nodes"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Heartbeat_ChunkedBodyOverTheCap_413AndNotHeard()
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology);
        var reason = new string('x', 64 * 1024);
        var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes($$"""{"nodeId":"edge-1","ready":true,"reason":"{{reason}}"}""")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/nodes/edge-1/heartbeat") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.DoesNotContain("lastHeartbeat", await host.Client.GetStringAsync("/v1/nodes"), StringComparison.Ordinal);
    }

    private const string NodeKey = "node-key-0123456789abcdef";

    private static async Task<HttpStatusCode> PostAsync(ControlPlaneHost host, string node, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/nodes/{node}/heartbeat")
        {
            Content = JsonContent.Create(new NodeReport { NodeId = node, Ready = true }, ContractsJsonContext.Default.NodeReport),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await host.Client.SendAsync(request);
        return response.StatusCode;
    }
}
