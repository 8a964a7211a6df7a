using Edge.Encoder.Encoding;
using Edge.Encoder.Ladder;

namespace Edge.Encoder.Tests.Ladder;

public class AppleLadderPolicyTests
{
    private static SourceInfo Source(int width, int height, FrameRate rate) => new("/in.mp4", width, height, rate, 60, true);

    [Fact]
    public async Task BuildAsync_1080p60Source_FullLadderWithLowRungsAt30Fps()
    {
        var report = await new AppleLadderPolicy().BuildAsync(Source(1920, 1080, new(60, 1)), VideoCodec.H264, default);

        Assert.Equal(9, report.Rungs.Count);
        Assert.Equal([145_000L, 365_000, 730_000, 1_100_000, 2_000_000, 3_000_000, 4_500_000, 6_000_000, 7_800_000], report.Rungs.Select(r => r.Bitrate));
        Assert.Equal((416, 234), (report.Rungs[0].Width, report.Rungs[0].Height));
        Assert.All(report.Rungs.Where(r => r.Height < 540), r => Assert.Equal("30", r.FrameRate));
        Assert.All(report.Rungs.Where(r => r.Height >= 540), r => Assert.Equal("60", r.FrameRate));
        Assert.Equal("default", report.Policy);
    }

    [Fact]
    public async Task BuildAsync_360pSource_NeverUpscales()
    {
        var report = await new AppleLadderPolicy().BuildAsync(Source(640, 360, new(30000, 1001)), VideoCodec.H264, default);

        Assert.Equal(["234p-145k", "360p-365k"], report.Rungs.Select(r => r.Id));
        Assert.All(report.Rungs, r => Assert.True(r.Height <= 360 && r.Width <= 640));
        Assert.All(report.Rungs, r => Assert.Equal("30000/1001", r.FrameRate));
    }

    [Fact]
    public async Task BuildAsync_FourByThreeSource_KeepsTheShape()
    {
        var report = await new AppleLadderPolicy().BuildAsync(Source(960, 720, new(25, 1)), VideoCodec.H264, default);

        // 960x540's pixels at 4:3, and the 720p rungs at the source's own size (it has 3/4 of their pixels).
        Assert.Contains(report.Rungs, r => (r.Width, r.Height) == (832, 624));
        Assert.Contains(report.Rungs, r => (r.Width, r.Height, r.Bitrate) == (960, 720, 3_375_000));
        Assert.DoesNotContain(report.Rungs, r => r.Height > 720);
        Assert.All(report.Rungs, r => Assert.Equal(4.0 / 3, (double)r.Width / r.Height, 1));
    }

    [Fact]
    public async Task BuildAsync_PortraitSource_TopRungAtItsFullSize()
    {
        var report = await new AppleLadderPolicy().BuildAsync(Source(1080, 1920, new(30, 1)), VideoCodec.H264, default);

        Assert.Equal((1080, 1920, 7_800_000L), (report.Rungs[^1].Width, report.Rungs[^1].Height, report.Rungs[^1].Bitrate));
        Assert.Equal((234, 416), (report.Rungs[0].Width, report.Rungs[0].Height));
        Assert.Equal(9, report.Rungs.Count);
    }

    [Fact]
    public async Task BuildAsync_JustUnder720_Keeps720pRungsAtItsSize()
    {
        var report = await new AppleLadderPolicy().BuildAsync(Source(1278, 718, new(25, 1)), VideoCodec.H264, default);

        Assert.Equal((1278, 718), (report.Rungs[^1].Width, report.Rungs[^1].Height));
        Assert.InRange(report.Rungs[^1].Bitrate, 4_400_000, 4_500_000);
        Assert.Equal(7, report.Rungs.Count);
    }

    [Fact]
    public async Task BuildAsync_CinemascopeSource_WideRungsUpToItsSize()
    {
        var report = await new AppleLadderPolicy().BuildAsync(Source(1920, 800, new(24, 1)), VideoCodec.H264, default);

        Assert.Equal((1920, 800), (report.Rungs[^1].Width, report.Rungs[^1].Height));
        Assert.All(report.Rungs, r => Assert.Equal(2.4, (double)r.Width / r.Height, 1));
        Assert.All(report.Rungs, r => Assert.True(r.Width <= 1920 && r.Height <= 800));
    }

    [Fact]
    public async Task BuildAsync_TinySource_OneRungAtItsOwnSize()
    {
        var report = await new AppleLadderPolicy().BuildAsync(Source(320, 180, new(25, 1)), VideoCodec.H264, default);

        var rung = Assert.Single(report.Rungs);
        Assert.Equal((320, 180), (rung.Width, rung.Height));
    }

    [Fact]
    public async Task BuildAsync_Hevc_ScalesRatesDown()
    {
        var report = await new AppleLadderPolicy().BuildAsync(Source(1280, 720, new(30, 1)), VideoCodec.Hevc, default);

        Assert.Equal(1_950_000, report.Rungs.Single(r => r.Id.StartsWith("720p-1950", StringComparison.Ordinal)).Bitrate);
    }

    [Fact]
    public void Rung_ConstrainedVbr_PeakWithinTwiceTheAverage()
    {
        var rung = new Rung(1280, 720, 3_000_000, "30");

        Assert.Equal(4_500_000, rung.MaxRate);
        Assert.Equal(6_000_000, rung.BufferSize);
    }
}
