using System.Net;
using System.Text.Json;
using Edge.Contracts;
using Edge.Testing;

namespace Edge.ControlPlane.Tests.Security;

/// <summary>
/// The control plane signs the edge URLs it hands out, an edge that requires signed URLs serves them, and a player
/// (ffmpeg) plays a whole title through steering because relative playlist URIs carry the token.
/// </summary>
public sealed class SignedUrlTests
{
    private static readonly string Key = Convert.ToBase64String([.. Enumerable.Range(7, 32).Select(i => (byte)i)]);

    [Fact]
    public async Task Play_EdgeRequiresSignedUrls_PlayerGetsSignedUrlsAndPlaysTheTitle()
    {
        using var directory = new TempDirectory();
        await using var origin = await OriginServer.StartAsync();
        var title = Path.Combine(directory.Path, "sample");
        await Ffmpeg.CreateSampleTitleAsync(title, seconds: 4);
        origin.AddDirectory("/sample", title);
        await using var edge = await EdgeHost.StartAsync(origin.Url, Path.Combine(directory.Path, "cache"), null, "edge-1",
            $"--Edge:UrlSigning:Keys:k1={Key}", "--Edge:UrlSigning:Required=true");
        var topology = JsonSerializer.Serialize(new
        {
            sites = new[] { new { id = "ams", prefixes = new[] { "127.0.0.0/8", "::1/128" } } },
            nodes = new[] { new { id = "edge-1", site = "ams", url = edge.Url.TrimEnd('/'), capacityBps = 10_000_000_000L } },
        });
        await using var controlPlane = await ControlPlaneHost.StartAsync(topology,
            $"--ControlPlane:UrlSigning:Keys:k1={Key}", "--ControlPlane:UrlSigning:KeyId=k1", "--ControlPlane:RampUpDuration=00:00:00");
        await controlPlane.HeartbeatAsync("edge-1");

        using var redirect = await controlPlane.Client.GetAsync("/v1/steer/sample/master.m3u8");
        var location = redirect.Headers.Location!;
        using var signed = await edge.Client.GetAsync(location);
        using var unsigned = await edge.Client.GetAsync("/sample/master.m3u8");
        using var otherTitle = await edge.Client.GetAsync(location.AbsolutePath.Replace("/sample/master.m3u8", "/other/master.m3u8", StringComparison.Ordinal));
        var (code, log) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(1), "-v", "error", "-i", controlPlane.Url + "/v1/play/sample/master.m3u8",
            "-map", "0:v:0", "-map", "0:a:0", "-f", "null", "-");

        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        Assert.StartsWith(edge.Url.TrimEnd('/') + "/_t/k1~", location.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Equal("forbidden: missing-token\n", await unsigned.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, otherTitle.StatusCode);
        Assert.Equal("forbidden: wrong-prefix\n", await otherTitle.Content.ReadAsStringAsync());
        Assert.True(code == 0, log);
    }

    [Theory]
    [InlineData("/v1/steer/anything")]
    [InlineData("/v1/steer/sample")]
    [InlineData("/v1/steer/sample/")]
    [InlineData("/v1/play/anything.m3u8")]
    [InlineData("/v1/steer/..;/sample/master.m3u8")]
    public async Task Steer_PathOutsideAnyTitle_RefusedNotSignedForTheCatalogue(string path)
    {
        await using var controlPlane = await StartSigningControlPlaneAsync();

        using var response = await controlPlane.Client.GetAsync(path);

        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{path}: {response.StatusCode}");
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Steer_ObjectInARenditionFolder_TokenCoversItsTitleFolderOnly()
    {
        await using var controlPlane = await StartSigningControlPlaneAsync();

        using var redirect = await controlPlane.Client.GetAsync("/v1/steer/sample/720p/1.m4s");
        Assert.True(UrlSignature.TrySplit(redirect.Headers.Location!.AbsolutePath, out var token, out var rest));
        var verifier = new UrlSignature(UrlSignature.ParseKeys([new("k1", Key)]));
        var now = DateTimeOffset.UtcNow;

        Assert.Equal("/sample/720p/1.m4s", rest);
        Assert.Equal(SignatureFailure.None, verifier.Verify(token, "/sample/480p/7.m4s", null, now));
        Assert.Equal(SignatureFailure.WrongPrefix, verifier.Verify(token, "/other/master.m3u8", null, now));
        Assert.Equal(SignatureFailure.WrongPrefix, verifier.Verify(token, "/samplex/master.m3u8", null, now));
    }

    private static async Task<ControlPlaneHost> StartSigningControlPlaneAsync()
    {
        var topology = JsonSerializer.Serialize(new
        {
            sites = new[] { new { id = "ams", prefixes = new[] { "127.0.0.0/8", "::1/128" } } },
            nodes = new[] { new { id = "edge-1", site = "ams", url = "http://127.0.0.1:9", capacityBps = 10_000_000_000L } },
        });
        var controlPlane = await ControlPlaneHost.StartAsync(topology,
            $"--ControlPlane:UrlSigning:Keys:k1={Key}", "--ControlPlane:UrlSigning:KeyId=k1", "--ControlPlane:RampUpDuration=00:00:00");
        await controlPlane.HeartbeatAsync("edge-1");
        return controlPlane;
    }
}
