using System.Text.Json;
using Edge.Encoder.Encoding;
using Edge.Encoder.Ladder;
using Edge.Testing;

namespace Edge.Encoder.Tests.Encoding;

/// <summary>Sources with the properties real catalogues have, each encoded for real and checked in its output.</summary>
public class SourceMatrixTests
{
    [Fact]
    public async Task EncodeAsync_5994FpsSourceWithHalvedRungs_EveryRungCutAtTheSameInstants()
    {
        using var dir = new TempDirectory();

        // 59.94 and 29.97 fps frame grids first disagree about "the first frame at or after" a boundary near 17 s.
        var source = await Sources.AtRateAsync(dir.Path, "60000/1001", seconds: 21);
        var ladder = await LadderAsync(dir.Path, new { height = 180, bitrate = 400_000 }, new { height = 144, bitrate = 200_000, frameRate = "30000/1001" });
        var output = Path.Combine(dir.Path, "origin", "rate");
        var title = await Encoder().EncodeAsync(new EncodeRequest(source, output) { SegmentSeconds = 2, Preset = "ultrafast", Ladder = ladder }, default);

        var master = await File.ReadAllTextAsync(Path.Combine(output, "master.m3u8"));
        var variants = Playlist.Variants(master);
        Assert.Equal(["59.940", "29.970"], variants.Select(v => v.Attributes["FRAME-RATE"]).Order().Reverse());
        var keyFrames = new List<List<double>>();
        foreach (var (_, uri) in variants)
        {
            keyFrames.Add(await Ffprobe.KeyFrameTimesAsync(await Playlist.JoinRenditionAsync(dir.Path, output, uri)));
        }

        // The short last segment stays short: no segment runs past the 2 s target.
        foreach (var (_, uri) in variants)
        {
            var media = await File.ReadAllTextAsync(Path.Combine(output, uri));
            Assert.Contains("#EXT-X-TARGETDURATION:2\n", media, StringComparison.Ordinal);
            Assert.InRange(Playlist.Segments(media)[^1].Duration, 0.9, 1.1);
        }

        // One switching set: one timescale in which both rungs' frames are whole ticks; CMAF's iso6 brand on both.
        foreach (var (_, uri) in variants)
        {
            var joined = await Playlist.JoinRenditionAsync(dir.Path, output, uri);
            Assert.Equal("1/60000", (await Ffprobe.VideoStreamAsync(joined, "time_base"))["time_base"]);
            Assert.Contains("iso6", await Ffprobe.RunAsync("-show_entries", "format_tags=compatible_brands", "-of", "default=nw=1:nk=1", joined), StringComparison.Ordinal);
        }

        Assert.Equal(keyFrames[0].Count, keyFrames[1].Count);
        Assert.All(keyFrames[0].Zip(keyFrames[1]), pair => Assert.Equal(pair.First, pair.Second, 3));
        Assert.InRange(keyFrames[0].Count, 10, 11);
        Assert.InRange(title.DurationSeconds, 20.9, 21.1);
        Assert.Contains("maxFrameRate=\"60000/1001\"", await File.ReadAllTextAsync(Path.Combine(output, "manifest.mpd")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EncodeAsync_AnamorphicSource_RungsAtItsDisplayShapeWithSquarePixels()
    {
        using var dir = new TempDirectory();

        // PAL widescreen: 720x576 stored, 64:45 pixels, shown 16:9.
        var source = await Sources.LavfiAsync(dir.Path, "pal-wide", "testsrc2=size=720x576:rate=25:duration=2,setsar=64/45", seconds: 2);
        var ladder = await LadderAsync(dir.Path, new { height = 540, bitrate = 1_200_000 }, new { height = 360, bitrate = 600_000 });
        var output = Path.Combine(dir.Path, "origin", "pal");

        await Encoder().EncodeAsync(new EncodeRequest(source, output) { SegmentSeconds = 2, Preset = "ultrafast", Ladder = ladder }, default);

        var variants = Playlist.Variants(await File.ReadAllTextAsync(Path.Combine(output, "master.m3u8")));
        Assert.Equal(["640x360", "960x540"], variants.Select(v => v.Attributes["RESOLUTION"]).Order());
        foreach (var (attributes, uri) in variants)
        {
            var stream = await Ffprobe.VideoStreamAsync(await Playlist.JoinRenditionAsync(dir.Path, output, uri), "width,height,sample_aspect_ratio");
            Assert.Equal(attributes["RESOLUTION"], $"{stream["width"]}x{stream["height"]}");
            Assert.Contains(stream.GetValueOrDefault("sample_aspect_ratio", "N/A"), (string[])["1:1", "N/A", "0:1"]);
        }

        var mpd = await File.ReadAllTextAsync(Path.Combine(output, "manifest.mpd"));
        Assert.Contains("par=\"16:9\"", mpd, StringComparison.Ordinal);

        // The source names no language: DASH-IF IOP still wants one on the audio set.
        Assert.Contains("lang=\"und\"", mpd, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EncodeAsync_120FpsSource_PublishedAt60()
    {
        using var dir = new TempDirectory();
        var source = await Sources.AtRateAsync(dir.Path, "120", seconds: 1);
        var ladder = await LadderAsync(dir.Path, new { height = 180, bitrate = 600_000 });
        var output = Path.Combine(dir.Path, "origin", "fast");

        await Encoder().EncodeAsync(new EncodeRequest(source, output) { SegmentSeconds = 1, Preset = "ultrafast", Ladder = ladder }, default);

        var variant = Assert.Single(Playlist.Variants(await File.ReadAllTextAsync(Path.Combine(output, "master.m3u8"))));
        Assert.Equal("60.000", variant.Attributes["FRAME-RATE"]);
        var stream = await Ffprobe.VideoStreamAsync(await Playlist.JoinRenditionAsync(dir.Path, output, variant.Uri), "avg_frame_rate");
        Assert.Equal("60/1", stream["avg_frame_rate"]);
    }

    [Fact]
    public async Task EncodeAsync_InterlacedSource_RungsProgressive()
    {
        using var dir = new TempDirectory();

        // 25i: 50 fps motion woven into top-field-first frames, coded as interlaced, as broadcast masters are.
        var source = await Sources.LavfiAsync(dir.Path, "tff", "testsrc2=size=640x360:rate=50:duration=2,interlace=scan=tff", seconds: 2, "-flags", "+ildct+ilme", "-x264opts", "tff=1");
        Assert.True((await SourceProbe.ProbeAsync(source, Toolchain.Locate(), default)).Interlaced);
        Assert.True(await CombedAsync(source), "the source is not seen as interlaced");
        var ladder = await LadderAsync(dir.Path, new { height = 360, bitrate = 1_000_000 });
        var output = Path.Combine(dir.Path, "origin", "tff");

        await Encoder().EncodeAsync(new EncodeRequest(source, output) { SegmentSeconds = 2, Preset = "ultrafast", Ladder = ladder }, default);

        var variant = Assert.Single(Playlist.Variants(await File.ReadAllTextAsync(Path.Combine(output, "master.m3u8"))));
        var rung = await Playlist.JoinRenditionAsync(dir.Path, output, variant.Uri);
        Assert.Equal("25.000", variant.Attributes["FRAME-RATE"]);
        Assert.False(await CombedAsync(rung), "the rung still has interlaced frames");
    }

    [Fact]
    public async Task EncodeAsync_AudioStartsLate_SilenceUntilItsStartInTheAudioRendition()
    {
        using var dir = new TempDirectory();
        var source = await Sources.LateAudioAsync(dir.Path, "1.98", seconds: 6);
        Assert.InRange((await SourceProbe.ProbeAsync(source, Toolchain.Locate(), default)).AudioDelaySeconds, 1.9, 2.0);
        var ladder = await LadderAsync(dir.Path, new { height = 180, bitrate = 300_000 });
        var output = Path.Combine(dir.Path, "origin", "late");

        await Encoder().EncodeAsync(new EncodeRequest(source, output) { SegmentSeconds = 2, Preset = "ultrafast", Ladder = ladder }, default);

        var master = await File.ReadAllTextAsync(Path.Combine(output, "master.m3u8"));
        var audioPlaylist = Assert.Single(Playlist.Tags(master, "#EXT-X-MEDIA"))["URI"];
        var audio = await Playlist.JoinRenditionAsync(dir.Path, output, audioPlaylist);
        var (code, log) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(1), "-hide_banner", "-i", audio, "-af", "silencedetect=n=-40dB:d=0.5", "-f", "null", "-");
        Assert.Equal(0, code);

        // The tone starts where it did in the source, not at 0.
        var end = System.Text.RegularExpressions.Regex.Match(log, @"silence_end: ([0-9.]+)");
        Assert.True(end.Success, "the audio rendition has no silence before the tone: " + log);
        Assert.InRange(double.Parse(end.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1.93, 2.03);
        Assert.InRange(await Ffprobe.DurationAsync(audio), 5.8, 6.2);
    }

    [Fact]
    public async Task EncodeAsync_ToneStartingAtOneSecond_HeardAtOneSecondNotAfterTheEncodersPriming()
    {
        using var dir = new TempDirectory();
        var source = Path.Combine(dir.Path, "onset.mov");
        var (made, makeLog) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(1), "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30:duration=4",
            "-f", "lavfi", "-i", "aevalsrc=if(gte(t\\,1)\\,sin(2*PI*1000*t)\\,0):s=48000:d=4",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le", source);
        Assert.True(made == 0, makeLog);
        var ladder = await LadderAsync(dir.Path, new { height = 180, bitrate = 300_000 });
        var output = Path.Combine(dir.Path, "origin", "onset");

        await Encoder().EncodeAsync(new EncodeRequest(source, output) { SegmentSeconds = 2, Preset = "ultrafast", Ladder = ladder }, default);

        // Decoded as a player does (init and segments, no edit list), the tone starts at 1 s, not 21 ms later.
        var master = await File.ReadAllTextAsync(Path.Combine(output, "master.m3u8"));
        var audio = await Playlist.JoinRenditionAsync(dir.Path, output, Assert.Single(Playlist.Tags(master, "#EXT-X-MEDIA"))["URI"]);
        var pcm = Path.Combine(dir.Path, "onset.raw");
        var (decoded, decodeLog) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(1), "-loglevel", "error", "-y", "-i", audio, "-ac", "1", "-f", "s16le", "-acodec", "pcm_s16le", pcm);
        Assert.True(decoded == 0, decodeLog);
        var samples = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(await File.ReadAllBytesAsync(pcm));
        var onset = -1;
        for (var i = 0; i < samples.Length && onset < 0; i++)
        {
            onset = Math.Abs((int)samples[i]) > 300 ? i : -1;
        }

        Assert.InRange(onset / 48000.0, 0.999, 1.001);
        Assert.Equal("0.000000", (await Ffprobe.RunAsync("-show_entries", "stream=start_time", "-of", "csv=p=0", audio)).Trim());
    }

    [Fact]
    public async Task ProbeAsync_StillImage_RefusedSayingHowToMakeAVideoOfIt()
    {
        using var dir = new TempDirectory();
        var image = Path.Combine(dir.Path, "slide.png");
        var (code, log) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(1), "-loglevel", "error", "-y", "-f", "lavfi", "-i", "smptebars=size=640x360", "-frames:v", "1", image);
        Assert.True(code == 0, log);

        var error = await Assert.ThrowsAsync<EncoderException>(() => SourceProbe.ProbeAsync(image, Toolchain.Locate(), default));

        Assert.Contains("still image", error.Message, StringComparison.Ordinal);
        Assert.Contains("ffmpeg -loop 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(120, 1, 60)]
    [InlineData(120000, 1001, 59.94)]
    [InlineData(100, 1, 50)]
    [InlineData(60, 1, 60)]
    [InlineData(30000, 1001, 29.97)]
    public void AtMost60_HighRate_HalvedUntilPlayable(long numerator, long denominator, double expected) =>
        Assert.Equal(expected, new FrameRate(numerator, denominator).AtMost60().Value, 2);

    [Theory]
    [InlineData(720, 64, 45, 1024)]
    [InlineData(720, 16, 15, 768)]
    [InlineData(1440, 4, 3, 1920)]
    [InlineData(640, 1, 1, 640)]
    [InlineData(640, 0, 1, 640)]
    public void DisplayWidth_SampleAspectRatio_SquarePixelWidth(int width, int num, int den, int expected) =>
        Assert.Equal(expected, SourceProbe.DisplayWidth(width, (num, den)));

    [Theory]
    [InlineData(60000, 1001, 30000, 1001, 60000)]
    [InlineData(60, 1, 30, 1, 90000)]
    [InlineData(25, 1, 25, 2, 90000)]
    [InlineData(24000, 1001, 24000, 1001, 24000)]
    public void VideoTimescale_RungRates_EveryFrameAWholeNumberOfTicks(long n1, long d1, long n2, long d2, long expected)
    {
        var timescale = TitleEncoder.VideoTimescale([new FrameRate(n1, d1), new FrameRate(n2, d2)]);

        Assert.Equal(expected, timescale);
        Assert.Equal(0, timescale * d1 % n1);
        Assert.Equal(0, timescale * d2 % n2);
    }

    [Fact]
    public void KeyFrames_HalvedRate_BoundariesOnTheSlowerGrid()
    {
        var expression = TitleEncoder.KeyFrames(2, [new FrameRate(60000, 1001), new FrameRate(30000, 1001)]);

        Assert.Equal("expr:gte(t,ceil(n_forced*2*30000/1001-0.000001)*1001/30000-0.004170833)", expression);
    }

    [Fact]
    public async Task Graph_LadderRepeatingSizes_EachSizeScaledOnceAndEveryRungFed()
    {
        var source = new SourceInfo("s.mp4", 1280, 720, new FrameRate(30, 1), 1, HasAudio: false);
        var rungs = AppleLadderPolicy.Cut(source, VideoCodec.H264);

        var graph = TitleEncoder.Graph(source, rungs);

        var sizes = rungs.Select(r => $"scale={r.Width}:{r.Height}:").ToList();
        Assert.True(sizes.Count > sizes.Distinct().Count(), "the default ladder repeats a size");
        Assert.All(sizes.Distinct(), size => Assert.Equal(1, graph.Split(size).Length - 1));
        var outputs = Enumerable.Range(0, rungs.Count).SelectMany(i => (string[])["-map", $"[v{i}]", "-f", "null", "-"]);
        var (code, log) = await Ffmpeg.RunAsync(
            TimeSpan.FromMinutes(1), ["-hide_banner", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=0.2", "-filter_complex", graph, .. outputs]);
        Assert.True(code == 0, log);
    }

    /// <summary>Whether ffmpeg's interlace detector finds most frames woven from two fields.</summary>
    private static async Task<bool> CombedAsync(string file)
    {
        var (code, output) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(1), "-hide_banner", "-i", file, "-an", "-vf", "idet", "-f", "null", "-");
        Assert.Equal(0, code);
        var line = output.Split('\n').Last(l => l.Contains("Multi frame detection:", StringComparison.Ordinal));
        var counts = System.Text.RegularExpressions.Regex.Matches(line, @"(TFF|BFF|Progressive|Undetermined):\s*(\d+)")
            .ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        return counts["TFF"] + counts["BFF"] > counts["Progressive"];
    }

    [Fact]
    public async Task EncodeAsync_SixSecondSegments_KeyFramesEveryTwoSecondsAndAnIFrameEntryForEach()
    {
        using var dir = new TempDirectory();
        var source = await Sources.HardAsync(dir.Path, 320, 180, seconds: 12);
        var output = Path.Combine(dir.Path, "origin", "six");
        var ladder = await LadderAsync(dir.Path, new { height = 180, bitrate = 400_000 }, new { height = 144, bitrate = 200_000 });

        await Encoder().EncodeAsync(new EncodeRequest(source, output) { SegmentSeconds = 6, Preset = "ultrafast", Ladder = ladder }, default);

        var master = await File.ReadAllTextAsync(Path.Combine(output, "master.m3u8"));
        var perRung = new List<List<double>>();
        foreach (var (_, uri) in Playlist.Variants(master))
        {
            // Two 6 s segments, each of three 2 s GOPs (Apple: key frames at least every 2 s).
            var media = await File.ReadAllTextAsync(Path.Combine(output, uri));
            Assert.Equal([6.0, 6.0], Playlist.Segments(media).Select(s => Math.Round(s.Duration, 2)));
            var keyFrames = await Ffprobe.KeyFrameTimesAsync(await Playlist.JoinRenditionAsync(dir.Path, output, uri));
            Assert.Equal([0.0, 2, 4, 6, 8, 10], keyFrames.Select(k => Math.Round(k - keyFrames[0], 2)));
            perRung.Add(keyFrames);
        }

        Assert.Equal(perRung[0], perRung[1]);

        // The I-frame playlist steps 2 s: one entry per key frame, each byte range a decodable key frame alone.
        foreach (var iFrames in Playlist.Tags(master, "#EXT-X-I-FRAME-STREAM-INF"))
        {
            var playlistPath = Path.Combine(output, iFrames["URI"]);
            var lines = (await File.ReadAllTextAsync(playlistPath)).Split('\n');
            var entries = lines.Select((line, i) => (line, i)).Where(x => x.line.StartsWith("#EXT-X-BYTERANGE:", StringComparison.Ordinal)).ToList();
            Assert.Equal(6, entries.Count);
            Assert.All(Playlist.Segments(string.Join('\n', lines)), s => Assert.Equal(2.0, s.Duration, 2));
            var folder = Path.GetDirectoryName(playlistPath)!;
            var init = await File.ReadAllBytesAsync(Path.Combine(folder, "init.mp4"));
            for (var n = 0; n < entries.Count; n++)
            {
                var range = entries[n].line["#EXT-X-BYTERANGE:".Length..].Split('@');
                var (length, offset) = (int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(range[1], System.Globalization.CultureInfo.InvariantCulture));
                var segment = await File.ReadAllBytesAsync(Path.Combine(folder, lines[entries[n].i + 1]));
                var frame = Path.Combine(dir.Path, $"iframe-{n}.mp4");
                await File.WriteAllBytesAsync(frame, [.. init, .. segment.AsSpan(offset, length)]);
                var frames = await Ffprobe.RunAsync("-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", frame);
                Assert.Equal("1", frames.Trim());
            }
        }
    }

    private static TitleEncoder Encoder() => new(new FfmpegRunner(Toolchain.Locate()), TimeProvider.System, new SyncProgress([]));

    private static async Task<string> LadderAsync(string directory, params object[] rungs)
    {
        var path = Path.Combine(directory, "ladder.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new { rungs }));
        return path;
    }
}
