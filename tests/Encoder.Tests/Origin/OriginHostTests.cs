using Edge.Encoder.Origin;
using Edge.Testing;

namespace Edge.Encoder.Tests.Origin;

public class OriginHostTests
{
    [Theory]
    [InlineData("t/master.m3u8", "application/vnd.apple.mpegurl", OriginHost.ManifestCacheControl)]
    [InlineData("t/manifest.mpd", "application/dash+xml", OriginHost.ManifestCacheControl)]
    [InlineData("t/video/360p-365k/init.mp4", "video/mp4", OriginHost.SegmentCacheControl)]
    [InlineData("t/video/360p-365k/seg_00001.m4s", "video/iso.segment", OriginHost.SegmentCacheControl)]
    public async Task Get_PublishedFile_TypeAndCacheLifetime(string path, string type, string cacheControl)
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, path);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, "x");
        await using var origin = await OriginFixture.StartAsync(dir.Path);
        using var client = new HttpClient();

        using var response = await client.GetAsync($"{origin.Url}/{path}");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(cacheControl, response.Headers.CacheControl!.ToString());
        Assert.NotNull(response.Headers.ETag);
    }

    [Fact]
    public async Task Get_StagingFolder_NeverServed()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, ".t.partial-123", "master.m3u8");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, "#EXTM3U");
        await using var origin = await OriginFixture.StartAsync(dir.Path);
        using var client = new HttpClient();

        using var response = await client.GetAsync($"{origin.Url}/.t.partial-123/master.m3u8");

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }
}
