using Edge.Encoder.Encoding;
using Edge.Encoder.Ladder;
using Edge.Testing;

namespace Edge.Encoder.Tests.Encoding;

public class CodecTests
{
    [Fact]
    public void RateArguments_PerTitleRungWithCrf_ConstantQualityCappedAtThePeak()
    {
        var rung = new Rung(1920, 1080, 64_000, "30") { Crf = 20.44 };

        var h264 = VideoCodec.H264.RateArguments(rung, 60, "fast").ToList();
        var av1 = VideoCodec.Av1.RateArguments(rung, 60, "fast").ToList();
        var fixedRate = VideoCodec.H264.RateArguments(rung with { Crf = null }, 60, "fast").ToList();

        Assert.Equal(["-crf", "20.4", "-maxrate", "96000", "-bufsize", "128000"], h264[^6..]);
        Assert.DoesNotContain("-b:v", h264);
        Assert.Equal("25", av1[av1.IndexOf("-crf") + 1]);
        Assert.Equal(["-b:v", "64000", "-maxrate", "96000", "-bufsize", "128000"], fixedRate[^6..]);
    }

    [Theory]
    [InlineData("hevc", @"^hvc1\.1\.6\.L\d+\.[0-9A-F]{2}(\.[0-9A-F]{2})*$", "hevc")]
    [InlineData("av1", @"^av01\.0\.\d{2}M\.08$", "av1")]
    public async Task EncodeAsync_OtherCodecs_CodecStringsFromTheBitstreamAndDecodable(string codec, string pattern, string ffprobeName)
    {
        using var dir = new TempDirectory();
        var source = await Sources.HardAsync(dir.Path, 320, 180, seconds: 2);
        var output = Path.Combine(dir.Path, "origin", codec);
        var encoder = new TitleEncoder(new FfmpegRunner(Toolchain.Locate()), TimeProvider.System, new SyncProgress([]));

        var title = await encoder.EncodeAsync(new EncodeRequest(source, output) { Codec = VideoCodec.Parse(codec)!, SegmentSeconds = 1, Preset = "ultrafast" }, default);

        var video = Assert.Single(title.Renditions, r => r.Type == "video");
        Assert.Matches(pattern, video.Codecs);
        var master = await File.ReadAllTextAsync(Path.Combine(output, "master.m3u8"));
        Assert.Contains($"CODECS=\"{video.Codecs},mp4a.40.2\"", master, StringComparison.Ordinal);
        var (code, log) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(1), "-v", "error", "-i", Path.Combine(output, "master.m3u8"), "-map", "0", "-f", "null", "-");
        Assert.True(code == 0, log);
        Assert.Contains(ffprobeName, await Ffprobe.RunAsync("-show_entries", "stream=codec_name", "-of", "csv=p=0", Path.Combine(output, "manifest.mpd")), StringComparison.Ordinal);
    }
}
