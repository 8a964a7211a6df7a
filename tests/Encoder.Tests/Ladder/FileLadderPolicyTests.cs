using Edge.Encoder.Encoding;
using Edge.Encoder.Ladder;
using Edge.Testing;

namespace Edge.Encoder.Tests.Ladder;

public class FileLadderPolicyTests
{
    private static readonly SourceInfo Source = new("/in.mp4", 1280, 720, new(30, 1), 60, true);

    [Fact]
    public async Task BuildAsync_ValidFile_RungsSortedByBitrate()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "ladder.json");
        await File.WriteAllTextAsync(path, """{"rungs":[{"height":720,"bitrate":2500000},{"height":360,"bitrate":400000,"frameRate":"15"}]}""");

        var report = await new FileLadderPolicy(path).BuildAsync(Source, VideoCodec.H264, default);

        Assert.Equal(["360p-400k", "720p-2500k"], report.Rungs.Select(r => r.Id));
        Assert.Equal(640, report.Rungs[0].Width);
        Assert.Equal("15", report.Rungs[0].FrameRate);
    }

    [Theory]
    [InlineData("""{"rungs":[{"height":1080,"bitrate":6000000}]}""", "rungs[0].height 1080 is taller than the source")]
    [InlineData("""{"rungs":[{"height":720,"bitrate":3000000},{"height":361,"bitrate":400000}]}""", "rungs[1].height must be a positive even number")]
    [InlineData("""{"rungs":[{"height":720,"bitrate":10}]}""", "rungs[0].bitrate must be at least")]
    [InlineData("""{"rungs":[{"height":720,"bitrate":3000000,"frameRate":"60"}]}""", "rungs[0].frameRate '60'")]
    [InlineData("""{"rungs":[]}""", "'rungs' must list at least one rung")]
    [InlineData("""{"rungz":[]}""", "cannot be read")]
    [InlineData("""not json""", "cannot be read")]
    public async Task BuildAsync_BadFile_ErrorNamesTheProblem(string json, string expected)
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "ladder.json");
        await File.WriteAllTextAsync(path, json);

        var error = await Assert.ThrowsAsync<EncoderException>(() => new FileLadderPolicy(path).BuildAsync(Source, VideoCodec.H264, default));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
