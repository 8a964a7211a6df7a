using Edge.Encoder.Ladder;

namespace Edge.Encoder.Tests.Ladder;

public class QualityMetricTests
{
    [Theory]
    [InlineData("[Parsed_libvmaf_0 @ 0x5581] VMAF score: 95.123456", 95.123456)]
    [InlineData("[libvmaf @ 0x55d0c] VMAF score = 99.9", 99.9)]
    [InlineData("VMAF score=87", 87)]
    public void Parse_VmafLogOfEitherLibvmaf_Score(string line, double expected) =>
        Assert.Equal(expected, new VmafMetric().Parse(["frame=  50 fps=0.0 q=-0.0 size=N/A", line]));

    [Fact]
    public void Parse_NoScoreLine_Null() =>
        Assert.Null(new VmafMetric().Parse(["[libvmaf @ 0x1] model not found", "VMAF score: unknown"]));

    [Theory]
    [InlineData(null, "[d][r]libvmaf=log_fmt=json:log_path=/w/0.json")]
    [InlineData("/m/vmaf_v0.6.1.pkl", "[d][r]libvmaf=model_path=/m/vmaf_v0.6.1.pkl:log_fmt=json:log_path=/w/0.json")]
    [InlineData("/m/vmaf_v0.6.1.json", "[d][r]libvmaf=model=path=/m/vmaf_v0.6.1.json:log_fmt=json:log_path=/w/0.json")]
    public void Filter_Model_OptionsOfThatLibvmaf(string? model, string expected) =>
        Assert.Equal(expected, new VmafMetric(model).Filter("/w/0.json"));

    [Fact]
    public void Read_StatsFilesOfEachMetric_MeanOverFrames()
    {
        using var dir = new Edge.Testing.TempDirectory();
        var vmaf = Path.Combine(dir.Path, "vmaf.json");
        File.WriteAllText(vmaf, """{"version":"1.3.7","frames":[{"frameNum":0,"metrics":{"adm2":0.9,"vmaf":90.0}},{"frameNum":30,"metrics":{"vmaf":80.0}}]}""");
        var psnr = Path.Combine(dir.Path, "psnr.log");
        File.WriteAllLines(psnr, ["n:1 mse_avg:6.50 mse_y:5.00 mse_u:9.00 mse_v:9.00 psnr_avg:39.00 psnr_y:41.14", "n:2 mse_avg:6.50 mse_y:5.00 mse_u:9.00 mse_v:9.00 psnr_avg:39.00"]);
        var ssim = Path.Combine(dir.Path, "ssim.log");
        File.WriteAllLines(ssim, ["n:1 Y:0.990000 U:0.995000 V:0.995000 All:0.980000 (16.989700)", "n:2 Y:0.990000 U:0.995000 V:0.995000 All:0.990000 (20.000000)"]);

        Assert.Equal(85.0, new VmafMetric().Read(vmaf));
        Assert.Equal(10 * Math.Log10(255.0 * 255.0 / 6.5), new PsnrMetric().Read(psnr)!.Value, 9);
        Assert.Equal(-10 * Math.Log10(1 - 0.985), new SsimMetric().Read(ssim)!.Value, 9);
        Assert.Null(new VmafMetric().Read(Path.Combine(dir.Path, "missing.json")));
        File.WriteAllText(vmaf, "{\"frames\":[]}");
        Assert.Null(new VmafMetric().Read(vmaf));
    }
}
