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
}
