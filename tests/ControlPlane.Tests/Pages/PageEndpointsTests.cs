using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Edge.Testing;

namespace Edge.ControlPlane.Tests.Pages;

public sealed partial class PageEndpointsTests
{
    private const string Topology = """{"sites": [{"id": "ams", "prefixes": ["127.0.0.0/8"]}]}""";

    [Theory]
    [InlineData("/player")]
    [InlineData("/operator")]
    public async Task Page_Get_HtmlWhoseScriptsAndStylesAllComeFromThisReplica(string path)
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology);

        using var response = await host.Client.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var policy = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        // The favicon is an inline data: URL so that browsers ask for nothing else.
        var assets = AssetReference().Matches(html).Select(m => m.Groups[1].Value).Where(a => !a.StartsWith("data:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(assets);
        foreach (var asset in assets)
        {
            Assert.StartsWith("/ui/", asset, StringComparison.Ordinal);
            using var served = await host.Client.GetAsync(asset);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.True(served.Content.Headers.ContentLength > 100, asset + " is empty");
        }
    }

    [Fact]
    public async Task Vendor_PlayerScripts_AreTheVersionsPinnedInPackageLock()
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology);
        using var lockFile = JsonDocument.Parse(RepositoryFiles.Read("package-lock.json"));
        var packages = lockFile.RootElement.GetProperty("packages");

        var hls = await host.Client.GetStringAsync("/ui/vendor/hls.min.js");
        var dash = await host.Client.GetStringAsync("/ui/vendor/dash.mediaplayer.min.js");

        Assert.Contains('"' + packages.GetProperty("node_modules/hls.js").GetProperty("version").GetString() + '"', hls, StringComparison.Ordinal);
        Assert.Contains('"' + packages.GetProperty("node_modules/dashjs").GetProperty("version").GetString() + '"', dash, StringComparison.Ordinal);
        Assert.Contains("Apache", await host.Client.GetStringAsync("/ui/vendor/hls.js.LICENSE.txt"), StringComparison.Ordinal);
        Assert.Contains("BSD", await host.Client.GetStringAsync("/ui/vendor/dashjs.LICENSE.txt"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Root_Get_RedirectsToTheOperatorPage()
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology);

        using var response = await host.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/operator", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Page_Head_LengthWithoutBody()
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology);

        using var response = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/player"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Content.Headers.ContentLength > 0);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("/ui/../ControlPlane.dll")]
    [InlineData("/ui/%2e%2e/appsettings.json")]
    [InlineData("/ui/missing.js")]
    public async Task Asset_OutsideOrMissing_404(string path)
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology);

        using var response = await host.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [GeneratedRegex("<(?:script|link)\\b[^>]*\\b(?:src|href)=\"([^\"]+)\"")]
    private static partial Regex AssetReference();
}
