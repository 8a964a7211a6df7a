using Edge.Encoder.Encoding;
using Edge.Encoder.Tests.Encoding;
using Edge.Testing;

namespace Edge.Encoder.Tests.Ladder;

public class PerTitleLadderPolicyTests
{
    private static TitleEncoder Encoder() => new(new FfmpegRunner(Toolchain.Locate()), TimeProvider.System, new SyncProgress([]));

    private static EncodeRequest PerTitle(string input, string output) => new(input, output)
    {
        Ladder = "per-title",
        SegmentSeconds = 2,
        Preset = "veryfast",
        PerTitle = new() { SampleSeconds = 3 },
    };

    [Fact]
    public async Task PlanAsync_EasyAndHardSources_EasyGetsTheCheaperLadder()
    {
        using var dir = new TempDirectory();
        var easy = await Sources.EasyAsync(dir.Path, seconds: 4);
        var hard = await Sources.HardAsync(dir.Path, seconds: 4);

        var easyPlan = await Encoder().PlanAsync(PerTitle(easy, Path.Combine(dir.Path, "out", "easy")), default);
        var hardPlan = await Encoder().PlanAsync(PerTitle(hard, Path.Combine(dir.Path, "out", "hard")), default);

        var (easyRungs, hardRungs) = (easyPlan.Ladder.Rungs, hardPlan.Ladder.Rungs);
        Assert.True(easyRungs.Count <= hardRungs.Count, $"easy {easyRungs.Count} rungs, hard {hardRungs.Count}");
        Assert.True(easyRungs.Max(r => r.Bitrate) < hardRungs.Max(r => r.Bitrate));
        Assert.True(easyRungs.Sum(r => r.Bitrate) < hardRungs.Sum(r => r.Bitrate) / 2);

        foreach (var plan in new[] { easyPlan, hardPlan })
        {
            var report = plan.Ladder;
            Assert.Equal("per-title", report.Policy);
            Assert.Equal("ssim-db", report.Metric);
            Assert.Equal(2 * 4, report.Trials!.Count);
            Assert.NotEmpty(report.Hull!);
            Assert.All(report.Hull!, h => Assert.Contains(h, report.Trials!));
            Assert.All(report.Rungs, r => Assert.True(r.Height <= 360 && r.Width <= 640 && r.PredictedQuality is not null && r.Crf is >= 20 and <= 51, r.ToString()));
            Assert.True(report.Rungs.Max(r => r.Bitrate) <= 365_000, "never above the default ladder's top for the source");
        }

        Assert.False(Directory.EnumerateFileSystemEntries(Path.Combine(dir.Path, "out")).Any(), "trial encodes are cleaned up");
    }

    [Fact]
    public async Task EncodeAsync_PerTitle_WritesTheLadderAndHullNextToTheTitle()
    {
        using var dir = new TempDirectory();
        var easy = await Sources.EasyAsync(dir.Path, seconds: 4);
        var output = Path.Combine(dir.Path, "out", "slides");

        var title = await Encoder().EncodeAsync(PerTitle(easy, output), default);

        using var report = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "ladder.json")));
        Assert.Equal("per-title", report.RootElement.GetProperty("policy").GetString());
        Assert.True(report.RootElement.GetProperty("hull").GetArrayLength() > 0);
        Assert.Equal(report.RootElement.GetProperty("rungs").GetArrayLength(), title.Renditions.Count(r => r.Type == "video"));
        Assert.True(File.Exists(Path.Combine(output, "master.m3u8")));
    }

    [Theory]
    [InlineData(7200, 6)]
    [InlineData(60, 6)]
    [InlineData(30, 3)]
    [InlineData(10, 2)]
    [InlineData(1.5, 1.5)]
    public void SampleLength_TitleLength_ATenthBetweenTheMinimumAndTheMaximum(double duration, double expected) =>
        Assert.Equal(expected, Edge.Encoder.Ladder.PerTitleLadderPolicy.SampleLength(duration, new()), precision: 6);
}
