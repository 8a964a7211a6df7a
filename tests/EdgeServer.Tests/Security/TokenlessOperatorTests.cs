using System.Net;
using Edge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.EdgeServer.Tests.Security;

/// <summary>Without <c>Edge:AdminTokens</c>, operator endpoints answer loopback scripts only: no other address, no other web site.</summary>
public sealed class TokenlessOperatorTests : IAsyncLifetime
{
    // Requests with this header arrive as if from it: the test's sockets are all on loopback.
    private const string FromHeader = "X-Test-Remote-Address";
    private readonly TempDirectory _cacheDir = new();
    private OriginServer _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, null, services => services.AddSingleton<IStartupFilter, RemoteAddressFilter>(), null, "edge-l", "--Edge:AdminCorsOrigins:0=http://127.0.0.1:8090");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Theory]
    [InlineData("/admin/drain")]
    [InlineData("/Admin/drain")]
    [InlineData("/ADMIN/DRAIN")]
    [InlineData("/%61dmin/drain")]
    public async Task Drain_NotLoopbackAnySpelling_403AndStillServing(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path);
        request.Headers.Add(FromHeader, "10.1.2.3");

        using var response = await _edge.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("serving\n", await _edge.Client.GetStringAsync("/admin/drain"));
    }

    [Theory]
    [InlineData("Origin", "http://evil.example")]
    [InlineData("Origin", "null")]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    public async Task Drain_CrossSitePageOnLoopback_403AndStillServing(string header, string value)
    {
        // What a form or fetch() with text/plain on another web site sends through the operator's own browser.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/drain") { Content = new StringContent("x") };
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await _edge.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("serving\n", await _edge.Client.GetStringAsync("/admin/drain"));
    }

    [Fact]
    public async Task Drain_LoopbackScriptOrTrustedPage_Served()
    {
        using var script = await _edge.Client.PutAsync("/admin/drain", null);
        using var page = new HttpRequestMessage(HttpMethod.Delete, "/admin/drain");
        page.Headers.Add("Origin", "http://127.0.0.1:8090");
        using var undrained = await _edge.Client.SendAsync(page);

        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal(HttpStatusCode.OK, undrained.StatusCode);
        Assert.Equal("serving\n", await undrained.Content.ReadAsStringAsync());
    }

    private sealed class RemoteAddressFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers[FromHeader] is [{ } address])
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse(address);
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
