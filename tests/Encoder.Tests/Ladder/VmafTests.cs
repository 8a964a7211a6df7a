using Edge.Encoder.Encoding;
using Edge.Encoder.Ladder;
using Edge.Encoder.Tests.Encoding;
using Edge.Testing;

namespace Edge.Encoder.Tests.Ladder;

/// <summary>
/// VMAF from an ffmpeg other than the encoding one: Debian's has no libvmaf, so these use the static ffmpeg with
/// libvmaf 1.3 from the npm package @ffmpeg-installer/linux-x64 and the v0.6.1 model beside the repository.
/// </summary>
public class VmafTests
{
    public static VmafOptions Options(int subsample = 15)
    {
        var ffmpeg = RepositoryFiles.PathOf("node_modules/@ffmpeg-installer/linux-x64/ffmpeg");
        var model = Path.GetFullPath(Path.Combine(RepositoryFiles.Root, "..", "shared", "vmaf", "vmaf_v0.6.1.pkl"));
        Assert.True(File.Exists(ffmpeg), $"no ffmpeg with libvmaf at {ffmpeg}: npm ci installs it");
        Assert.True(File.Exists(model), $"no VMAF model at {model}");
        return new VmafOptions { Ffmpeg = ffmpeg, Model = model, Subsample = subsample };
    }

    private static FfmpegRunner Debian() => new(Toolchain.Locate());

    [Fact]
    public async Task ScorerAsync_AutoWithAVmaffmpeg_VmafOnThatFfmpeg()
    {
        var scorer = await TitleEncoder.ScorerAsync(Debian(), "auto", Options());
        Assert.Equal("vmaf", scorer.Metric.Name);
        Assert.Equal("ssim-db", (await TitleEncoder.ScorerAsync(Debian(), "auto", new VmafOptions())).Metric.Name);
    }

    [Fact]
    public async Task ScorerAsync_VmafFfmpegWithoutLibvmafOrMissingModel_FailsNamingTheOption()
    {
        var debian = Toolchain.Locate().Folder;
        var noLibvmaf = await Assert.ThrowsAsync<EncoderException>(() => TitleEncoder.ScorerAsync(Debian(), "vmaf", new VmafOptions { Ffmpeg = Path.Combine(debian, "ffmpeg") }));
        Assert.Contains("--vmaf-ffmpeg", noLibvmaf.Message, StringComparison.Ordinal);
        Assert.Contains("no libvmaf", noLibvmaf.Message, StringComparison.Ordinal);

        var notFfmpeg = await Assert.ThrowsAsync<EncoderException>(() => TitleEncoder.ScorerAsync(Debian(), "vmaf", new VmafOptions { Ffmpeg = Path.Combine(debian, "ffprobe") }));
        Assert.Contains("--vmaf-ffmpeg", notFfmpeg.Message, StringComparison.Ordinal);

        var model = await Assert.ThrowsAsync<EncoderException>(() => TitleEncoder.ScorerAsync(Debian(), "vmaf", new VmafOptions { Ffmpeg = Options().Ffmpeg, Model = "/nonexistent/model.pkl" }));
        Assert.Contains("--vmaf-model", model.Message, StringComparison.Ordinal);

        var none = await Assert.ThrowsAsync<EncoderException>(() => TitleEncoder.ScorerAsync(Debian(), "vmaf", new VmafOptions()));
        Assert.Contains("--vmaf-ffmpeg", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlanAsync_PerTitleOnVmaf_HullInVmafAndTheChoiceInTheReport()
    {
        using var dir = new TempDirectory();
        var source = await Sources.HardAsync(dir.Path, seconds: 4);
        var encoder = new TitleEncoder(Debian(), TimeProvider.System, new SyncProgress([]));

        var plan = await encoder.PlanAsync(new EncodeRequest(source, Path.Combine(dir.Path, "out", "t"))
        {
            Ladder = "per-title",
            SegmentSeconds = 2,
            Metric = "vmaf",
            Vmaf = Options(subsample: 10),
            PerTitle = new() { SampleSeconds = 3 },
        }, default);

        var report = plan.Ladder;
        Assert.Equal("vmaf", report.Metric);
        Assert.Equal(2 * 4, report.Trials!.Count);
        Assert.All(report.Trials!, t => Assert.InRange(t.Quality, 0, 100));

        // At each resolution, a lower CRF costs more and scores higher on VMAF.
        foreach (var curve in report.Trials!.GroupBy(t => t.Height))
        {
            var byCrf = curve.OrderBy(t => t.Crf).ToList();
            Assert.True(byCrf.Zip(byCrf.Skip(1)).All(p => p.First.Bitrate > p.Second.Bitrate && p.First.Quality > p.Second.Quality), string.Join(", ", byCrf));
        }

        Assert.InRange(report.Rungs[^1].PredictedQuality!.Value, 85, 100);
    }

    [Fact]
    public async Task CompareAsync_ATitleAgainstItself_NoBdRateAndEveryRungScored()
    {
        using var dir = new TempDirectory();
        var source = await Sources.HardAsync(dir.Path, seconds: 4);
        var output = Path.Combine(dir.Path, "out", "t");
        await new TitleEncoder(Debian(), TimeProvider.System, new SyncProgress([])).EncodeAsync(
            new EncodeRequest(source, output) { SegmentSeconds = 2, Preset = "veryfast" }, default);
        var vmaf = Options(subsample: 10);
        var scorer = new QualityScorer(new FfmpegRunner(Toolchain.ForMetrics(vmaf.Ffmpeg!, "--vmaf-ffmpeg")), [new VmafMetric(vmaf.Model), new PsnrMetric(), new SsimMetric()], subsample: 10);

        var report = await new LadderComparison(scorer).CompareAsync(source, output, output, 640, 360, default);

        Assert.Equal(["234p-145k", "360p-365k"], report.Baseline.Select(r => r.Id));
        Assert.All(report.Baseline, r => Assert.Equal(["vmaf", "psnr", "ssim-db"], r.Scores.Keys));
        var (low, high) = (report.Baseline[0], report.Baseline[1]);
        Assert.True(high.Bitrate > low.Bitrate && high.Scores["vmaf"] > low.Scores["vmaf"] && high.Scores["psnr"] > low.Scores["psnr"], $"{low} {high}");
        Assert.All(report.BdRate.Values, v => Assert.Equal(0, v!.Value, 6));
    }
}
