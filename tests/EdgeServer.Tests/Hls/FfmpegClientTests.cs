using Edge.Testing;

namespace Edge.EdgeServer.Tests.Hls;

/// <summary>An HLS client nobody here wrote (ffmpeg) reads a whole title through the edge.</summary>
public sealed class FfmpegClientTests
{
    [Fact]
    public async Task Ffmpeg_ReadsCmafTitleThroughEdge_ExitsZeroAndSecondPassIsAllHits()
    {
        using var source = new TempDirectory();
        using var cache = new TempDirectory();
        await Ffmpeg.CreateSampleTitleAsync(source.Path);
        await using var origin = await OriginServer.StartAsync();
        origin.AddDirectory("/sample", source.Path);
        await using var edge = await EdgeHost.StartAsync(origin.Url, cache.Path, nodeId: "edge-hls");
        var master = $"{edge.Url}/sample/master.m3u8";

        var (firstCode, firstOutput) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(2), "-loglevel", "error", "-i", master, "-map", "0", "-c", "copy", "-f", "null", "-");
        Assert.True(firstCode == 0, firstOutput);
        var fetched = origin.TotalRequests;
        Assert.True(fetched >= 10, $"ffmpeg fetched only {fetched} objects");

        var (secondCode, secondOutput) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(2), "-loglevel", "error", "-i", master, "-map", "0", "-c", "copy", "-f", "null", "-");
        Assert.True(secondCode == 0, secondOutput);
        Assert.Equal(fetched, origin.TotalRequests);
    }
}
