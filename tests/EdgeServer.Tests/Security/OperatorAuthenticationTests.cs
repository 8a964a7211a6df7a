using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Edge.Contracts;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Security;

/// <summary>The operator endpoints under /admin need a bearer token once tokens are set, and only them.</summary>
public sealed class OperatorAuthenticationTests : IAsyncLifetime
{
    private const string Current = "0123456789abcdef0123456789abcdef";
    private const string Next = "fedcba9876543210fedcba9876543210";
    private readonly TempDirectory _cacheDir = new();
    private OriginServer _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _origin.Add("/t/seg1.m4s", new byte[100], "video/iso.segment");
        _edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, null, "edge-s", $"--Edge:AdminTokens:0={Current}", $"--Edge:AdminTokens:1={Next}");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Theory]
    [InlineData("GET", "/admin/pins")]
    [InlineData("GET", "/admin/fills")]
    [InlineData("PUT", "/admin/drain")]
    [InlineData("DELETE", "/admin/cache?prefix=/t/")]
    public async Task Admin_NoToken_401WithABearerChallengeAndNothingDone(string method, string path)
    {
        using var response = await _edge.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        using var ready = await _edge.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Admin_WrongToken_401InvalidToken()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/pins");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Current[..^1] + "0");

        using var response = await _edge.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Current)]
    [InlineData(Next)]
    public async Task Admin_EitherTokenWhileRotating_Served(string token)
    {
        (await _edge.Client.GetAsync("/t/seg1.m4s")).Dispose();
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/admin/cache?path=/t/seg1.m4s");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await _edge.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/t/seg1.m4s")]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/metrics")]
    [InlineData("/administrator.m3u8")]
    public async Task PlayerAndProbePaths_NoToken_NotAskedForOne(string path)
    {
        _origin.Add("/administrator.m3u8", Encoding.UTF8.GetBytes("#EXTM3U\n"), "application/vnd.apple.mpegurl");

        using var response = await _edge.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("PUT", "/Admin/drain")]
    [InlineData("PUT", "/ADMIN/DRAIN")]
    [InlineData("PUT", "/%61dmin/drain")]
    [InlineData("PUT", "/admin/drain/")]
    [InlineData("DELETE", "/ADMIN/cache?prefix=/")]
    [InlineData("DELETE", "/Admin/Cache?path=/t/seg1.m4s")]
    [InlineData("POST", "/Admin/fills")]
    [InlineData("GET", "/admin/Pins")]
    [InlineData("GET", "/admin/no-such-thing")]
    public async Task Admin_AnySpellingWithoutToken_401AndNothingDone(string method, string path)
    {
        (await _edge.Client.GetAsync("/t/seg1.m4s")).Dispose();
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("""{"manifest":"/t/master.m3u8"}""", Encoding.UTF8, "application/json") };

        using var response = await _edge.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var ready = await _edge.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var again = await _edge.Client.GetAsync("/t/seg1.m4s");
        Assert.Contains("hit", string.Join(",", again.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);
        Assert.Equal(1, _origin.RequestCount("/t/seg1.m4s"));
    }

    [Fact]
    public async Task Endpoints_EveryMappedEndpoint_AnonymousByNameOrRefusedInEverySpelling()
    {
        string[] anonymous = ["/healthz", "/readyz", "/metrics", "/{**path}"];
        var endpoints = EndpointVariants.All(_edge.App);
        Assert.Contains(endpoints, e => e.Pattern.StartsWith("/admin", StringComparison.Ordinal));
        foreach (var (pattern, isAnonymous, endpoint) in endpoints)
        {
            if (isAnonymous)
            {
                Assert.Contains(pattern, anonymous);
                continue;
            }

            foreach (var path in EndpointVariants.Spellings(EndpointVariants.Concrete(endpoint.RoutePattern)))
            {
                foreach (var method in new[] { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH" })
                {
                    using var response = await _edge.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
                    Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} ({pattern}) answered {(int)response.StatusCode} without a token");
                }
            }
        }

        using var ready = await _edge.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Theory]
    [InlineData("127.0.0.1", OperatorAccess.Allowed)]
    [InlineData("::1", OperatorAccess.Allowed)]
    [InlineData("::ffff:127.0.0.1", OperatorAccess.Allowed)]
    [InlineData("10.1.2.3", OperatorAccess.NotLoopback)]
    [InlineData("2001:db8::1", OperatorAccess.NotLoopback)]
    public void Check_NoTokensConfigured_OnlyLoopbackClients(string address, OperatorAccess expected)
    {
        Assert.Equal(expected, new OperatorTokens([]).Check("Bearer anything-at-all-here", IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData(null, OperatorAccess.Missing)]
    [InlineData("Basic dXNlcjpwYXNz", OperatorAccess.Missing)]
    [InlineData("Bearer " + Current, OperatorAccess.Allowed)]
    [InlineData("bearer  " + Next + " ", OperatorAccess.Allowed)]
    [InlineData("Bearer " + Current + "x", OperatorAccess.Invalid)]
    [InlineData("Bearer ", OperatorAccess.Invalid)]
    public void Check_TokensConfigured_BearerHeaderDecides(string? authorization, OperatorAccess expected)
    {
        Assert.Equal(expected, new OperatorTokens([Current, Next]).Check(authorization, IPAddress.Loopback));
    }
}
