using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Edge.EdgeServer.Security;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Security;

/// <summary>A browser page on a configured origin (the control plane's operator page) may call /admin; others may not.</summary>
public sealed class AdminCorsTests : IAsyncLifetime
{
    private const string Token = "0123456789abcdef0123456789abcdef";
    private const string Operator = "http://127.0.0.1:8090";
    private readonly TempDirectory _cacheDir = new();
    private OriginServer _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, null, "edge-c", $"--Edge:AdminTokens:0={Token}", $"--Edge:AdminCorsOrigins:0={Operator}/");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Fact]
    public async Task Preflight_ConfiguredOrigin_AllowsAuthorizationWithoutAToken()
    {
        using var request = Preflight(Operator, "PUT");

        using var response = await _edge.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(Operator, Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("PUT", Header(response, "Access-Control-Allow-Methods"), StringComparison.Ordinal);
        Assert.Contains("Authorization", Header(response, "Access-Control-Allow-Headers"), StringComparison.Ordinal);
        Assert.Contains("Origin", response.Headers.Vary);
    }

    [Fact]
    public async Task Preflight_OtherOrigin_NoCorsHeadersAndAuthenticationStillApplies()
    {
        using var request = Preflight("http://evil.example", "PUT");

        using var response = await _edge.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Drain_ConfiguredOriginWithToken_DrainsAndExposesTheAnswer()
    {
        using var drain = new HttpRequestMessage(HttpMethod.Put, "/admin/drain");
        drain.Headers.Add("Origin", Operator);
        drain.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var fill = new HttpRequestMessage(HttpMethod.Post, "/admin/fills") { Content = new StringContent("""{"manifest":"/t/master.m3u8"}""", Encoding.UTF8, "application/json") };
        fill.Headers.Add("Origin", Operator);
        fill.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        using var drained = await _edge.Client.SendAsync(drain);
        using var filled = await _edge.Client.SendAsync(fill);

        Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
        Assert.Equal("draining\n", await drained.Content.ReadAsStringAsync());
        Assert.Equal(Operator, Header(drained, "Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.Accepted, filled.StatusCode);
        Assert.Equal(Operator, Header(filled, "Access-Control-Allow-Origin"));
        Assert.Contains("Location", Header(filled, "Access-Control-Expose-Headers"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_ConfiguredOriginWithoutToken_Still401()
    {
        using var drain = new HttpRequestMessage(HttpMethod.Put, "/admin/drain");
        drain.Headers.Add("Origin", Operator);

        using var response = await _edge.Client.SendAsync(drain);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var ready = await _edge.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Theory]
    [InlineData("https://ops.example.net", true)]
    [InlineData("http://127.0.0.1:8090", true)]
    [InlineData("http://127.0.0.1:8090/", true)]
    [InlineData("https://ops.example.net/operator", false)]
    [InlineData("https://ops.example.net:443", false)]
    [InlineData("ftp://ops.example.net", false)]
    [InlineData("*", false)]
    [InlineData("ops.example.net", false)]
    public void IsOrigin_Value_AcceptsOnlySchemeHostAndPort(string value, bool expected) =>
        Assert.Equal(expected, AdminCors.IsOrigin(value));

    private static HttpRequestMessage Preflight(string origin, string method)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/admin/drain");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", "authorization");
        return request;
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";
}
