using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Edge.Encoder.Encoding;
using Edge.Testing;

namespace Edge.Encoder.Tests.Encoding;

public class TitleEncoderTests(EncodedTitleFixture title) : IClassFixture<EncodedTitleFixture>
{
    private static readonly XNamespace Mpd = "urn:mpeg:dash:schema:mpd:2011";

    private List<(Dictionary<string, string> Attributes, string Uri)> Variants => Playlist.Variants(title.Read("master.m3u8"));

    [Fact]
    public async Task EncodeAsync_DefaultLadder_KeyFramesAlignedAtEverySegmentBoundary()
    {
        var perRendition = new List<List<double>>();
        foreach (var (_, uri) in Variants)
        {
            var media = title.Read(uri);
            var directory = Path.Combine(title.TitleRoot, Path.GetDirectoryName(uri)!);
            var boundaries = new List<double> { 0 };
            foreach (var (duration, _) in Playlist.Segments(media).SkipLast(1))
            {
                boundaries.Add(boundaries[^1] + duration);
            }

            var keyFrames = await Ffprobe.KeyFrameTimesAsync(await ConcatenateAsync(directory, media));

            // One key frame per segment, each at the segment's start (the first frame's composition offset aside).
            Assert.Equal(boundaries.Count, keyFrames.Count);
            var offset = keyFrames[0];
            Assert.All(boundaries.Zip(keyFrames), pair => Assert.Equal(pair.First, pair.Second - offset, 3));
            perRendition.Add(keyFrames);
        }

        Assert.True(perRendition.Count >= 2);
        Assert.All(perRendition, keyFrames => Assert.Equal(perRendition[0], keyFrames));
    }

    [Fact]
    public void EncodeAsync_DefaultLadder_MasterPlaylistHasEveryAuthoringSpecMust()
    {
        var master = title.Read("master.m3u8");
        Assert.StartsWith("#EXTM3U\n", master, StringComparison.Ordinal);
        Assert.Contains("#EXT-X-INDEPENDENT-SEGMENTS\n", master, StringComparison.Ordinal);

        var audio = Assert.Single(Playlist.Tags(master, "#EXT-X-MEDIA"));
        Assert.Equal("AUDIO", audio["TYPE"]);
        Assert.Equal("2", audio["CHANNELS"]);
        Assert.True(File.Exists(Path.Combine(title.TitleRoot, audio["URI"])));

        var variants = Variants;
        Assert.Equal(2, variants.Count);
        foreach (var (attributes, uri) in variants)
        {
            foreach (var name in (string[])["BANDWIDTH", "AVERAGE-BANDWIDTH", "CODECS", "RESOLUTION", "FRAME-RATE", "AUDIO"])
            {
                Assert.True(attributes.ContainsKey(name), $"{uri} lacks {name}");
            }

            Assert.Equal(audio["GROUP-ID"], attributes["AUDIO"]);
            Assert.Matches(@"^avc1\.64[0-9a-f]{4},mp4a\.40\.2$", attributes["CODECS"]);
            Assert.Equal("30.000", attributes["FRAME-RATE"]);

            var media = title.Read(uri);
            Assert.Contains("#EXT-X-PLAYLIST-TYPE:VOD\n", media, StringComparison.Ordinal);
            Assert.Contains("#EXT-X-MAP:URI=\"init.mp4\"\n", media, StringComparison.Ordinal);
            Assert.Contains("#EXT-X-INDEPENDENT-SEGMENTS\n", media, StringComparison.Ordinal);
            Assert.EndsWith("#EXT-X-ENDLIST\n", media, StringComparison.Ordinal);
            var target = int.Parse(media.Split('\n').Single(l => l.StartsWith("#EXT-X-TARGETDURATION:", StringComparison.Ordinal))[22..], CultureInfo.InvariantCulture);
            Assert.Equal(2, target);
            Assert.All(Playlist.Segments(media), s => Assert.True(Math.Round(s.Duration, MidpointRounding.AwayFromZero) <= target));
        }

        var iFrames = Playlist.Tags(master, "#EXT-X-I-FRAME-STREAM-INF");
        Assert.Equal(variants.Count, iFrames.Count);
        foreach (var iFrame in iFrames)
        {
            Assert.True(iFrame.ContainsKey("BANDWIDTH") && iFrame.ContainsKey("CODECS") && iFrame.ContainsKey("RESOLUTION"));
            var playlist = title.Read(iFrame["URI"]);
            Assert.Contains("#EXT-X-I-FRAMES-ONLY\n", playlist, StringComparison.Ordinal);
            Assert.Equal(Playlist.Segments(playlist).Count, playlist.Split('\n').Count(l => l.StartsWith("#EXT-X-BYTERANGE:", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task EncodeAsync_DefaultLadder_CmafInitSegmentsWithCodecsFfprobeAgreesWith()
    {
        foreach (var (attributes, uri) in Variants)
        {
            var stream = await Ffprobe.VideoStreamAsync(await ConcatenateAsync(Path.Combine(title.TitleRoot, Path.GetDirectoryName(uri)!), title.Read(uri)), "profile,level,width,height");
            var avc = attributes["CODECS"].Split(',')[0];
            var init = await File.ReadAllBytesAsync(Path.Combine(title.TitleRoot, Path.GetDirectoryName(uri)!, "init.mp4"));
            Assert.Equal("ftypcmfc", System.Text.Encoding.ASCII.GetString(init, 4, 8));
            Assert.Equal("High", stream["profile"]);
            Assert.Equal(int.Parse(stream["level"], CultureInfo.InvariantCulture), Convert.ToInt32(avc[^2..], 16));
            Assert.Equal($"{stream["width"]}x{stream["height"]}", attributes["RESOLUTION"]);
        }
    }

    [Fact]
    public async Task EncodeAsync_DefaultLadder_BandwidthWithinTenPercentOfMeasured()
    {
        var audioUri = Playlist.Tags(title.Read("master.m3u8"), "#EXT-X-MEDIA")[0]["URI"];
        var (audioPeak, audioAverage) = await MeasureAsync(audioUri);
        foreach (var (attributes, uri) in Variants)
        {
            var (peak, average) = await MeasureAsync(uri);
            var bandwidth = long.Parse(attributes["BANDWIDTH"], CultureInfo.InvariantCulture);
            var averageBandwidth = long.Parse(attributes["AVERAGE-BANDWIDTH"], CultureInfo.InvariantCulture);

            Assert.InRange(bandwidth, (peak + audioPeak) * 0.9, (peak + audioPeak) * 1.1);
            Assert.InRange(averageBandwidth, (average + audioAverage) * 0.9, (average + audioAverage) * 1.1);
            Assert.True(averageBandwidth <= bandwidth);
        }
    }

    [Fact]
    public void EncodeAsync_DefaultLadder_MpdReferencesTheSameSegments()
    {
        var mpd = XDocument.Parse(title.Read("manifest.mpd"));
        Assert.Equal("static", mpd.Root!.Attribute("type")!.Value);
        Assert.Contains("cmaf", mpd.Root.Attribute("profiles")!.Value, StringComparison.Ordinal);

        var hls = Variants.Select(v => v.Uri).Append(Playlist.Tags(title.Read("master.m3u8"), "#EXT-X-MEDIA")[0]["URI"]).ToList();
        var representations = mpd.Descendants(Mpd + "Representation").ToList();
        Assert.Equal(hls.Count, representations.Count);
        foreach (var representation in representations)
        {
            var template = representation.Element(Mpd + "SegmentTemplate")!;
            var timescale = double.Parse(template.Attribute("timescale")!.Value, CultureInfo.InvariantCulture);
            var durations = template.Descendants(Mpd + "S")
                .SelectMany(s => Enumerable.Repeat(double.Parse(s.Attribute("d")!.Value, CultureInfo.InvariantCulture) / timescale, 1 + int.Parse(s.Attribute("r")?.Value ?? "0", CultureInfo.InvariantCulture)))
                .ToList();
            var files = durations.Select((_, i) => template.Attribute("media")!.Value.Replace("$Number%05d$", (i + 1).ToString("D5", CultureInfo.InvariantCulture), StringComparison.Ordinal)).ToList();

            var playlistUri = hls.Single(u => u.StartsWith(Path.GetDirectoryName(files[0])! + "/", StringComparison.Ordinal));
            var directory = Path.GetDirectoryName(playlistUri)!;
            var segments = Playlist.Segments(title.Read(playlistUri));
            Assert.Equal(segments.Select(s => $"{directory}/{s.Uri}"), files);
            Assert.All(segments.Zip(durations), pair => Assert.Equal(pair.First.Duration, pair.Second, 4));
            Assert.Equal($"{directory}/init.mp4", template.Attribute("initialization")!.Value);
            Assert.All(files, f => Assert.True(File.Exists(Path.Combine(title.TitleRoot, f)), f));
        }
    }

    [Fact]
    public async Task EncodeAsync_OverHttpFromTheOrigin_FfmpegDecodesEveryRenditionOfMasterAndMpd()
    {
        await using var origin = await OriginFixture.StartAsync(title.ContentRoot);
        foreach (var manifest in (string[])["master.m3u8", "manifest.mpd"])
        {
            var url = $"{origin.Url}/hard/{manifest}";
            var streams = await Ffprobe.StreamTypesAsync(url);
            Assert.Equal(["video", "video", "audio"], streams.Order(StringComparer.Ordinal).Reverse());

            var (code, output) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(2), "-v", "error", "-i", url, "-map", "0", "-f", "null", "-");
            Assert.Equal(0, code);
            var errors = output.Split('\n').Where(l => l.Length > 0 && !l.Contains("non monotonically increasing dts to muxer", StringComparison.Ordinal)).ToList();
            Assert.Empty(errors);
        }
    }

    [Fact]
    public void EncodeAsync_360pSource_NeverUpscales()
    {
        Assert.All(Variants, v =>
        {
            var size = v.Attributes["RESOLUTION"].Split('x').Select(int.Parse).ToArray();
            Assert.True(size[0] <= 640 && size[1] <= 360);
        });
        Assert.Contains(Variants, v => v.Attributes["RESOLUTION"] == "640x360");
    }

    [Fact]
    public void EncodeAsync_Published_TitleJsonDescribesTheTitleAndNothingIsLeftBehind()
    {
        using var json = JsonDocument.Parse(title.Read("title.json"));
        var root = json.RootElement;
        Assert.Equal("hard", root.GetProperty("id").GetString());
        Assert.InRange(root.GetProperty("durationSeconds").GetDouble(), 5.9, 6.1);
        Assert.Equal("h264", root.GetProperty("codec").GetString());
        Assert.Equal(3, root.GetProperty("renditions").GetArrayLength());
        Assert.Equal("default", root.GetProperty("ladder").GetProperty("policy").GetString());
        Assert.True(File.Exists(Path.Combine(title.TitleRoot, "ladder.json")));

        Assert.Equal(["hard"], Directory.GetFileSystemEntries(title.ContentRoot).Select(Path.GetFileName));
        Assert.False(Directory.Exists(Path.Combine(title.TitleRoot, ".work")));
        Assert.Contains(title.Progress, p => p.Phase == "encode" && p.Fraction is > 0 and < 1);
        Assert.Equal("published", title.Progress[^1].Phase);
    }

    [Fact]
    public async Task EncodeAsync_IdAlreadyPublished_RefusedAndTheTitleIsUntouched()
    {
        var before = title.Read("title.json");
        var encoder = new TitleEncoder(new FfmpegRunner(Toolchain.Locate()), TimeProvider.System, new SyncProgress([]));

        var error = await Assert.ThrowsAsync<EncoderException>(() => encoder.EncodeAsync(new EncodeRequest(title.Source, title.TitleRoot), default));

        Assert.Contains("already published", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, title.Read("title.json"));
    }

    // Bits per second of each segment: size on disk over the duration ffprobe reads from init + segment.
    private async Task<(double Peak, double Average)> MeasureAsync(string playlistUri)
    {
        var directory = Path.Combine(title.TitleRoot, Path.GetDirectoryName(playlistUri)!);
        var init = await File.ReadAllBytesAsync(Path.Combine(directory, "init.mp4"));
        var rates = new List<(long Bytes, double Seconds)>();
        using var scratch = new TempDirectory();
        foreach (var (_, uri) in Playlist.Segments(title.Read(playlistUri)))
        {
            var segment = await File.ReadAllBytesAsync(Path.Combine(directory, uri));
            var file = Path.Combine(scratch.Path, uri + ".mp4");
            await File.WriteAllBytesAsync(file, [.. init, .. segment]);
            rates.Add((segment.Length, await Ffprobe.DurationAsync(file)));
        }

        return (rates.Max(r => r.Bytes * 8 / r.Seconds), rates.Sum(r => r.Bytes) * 8 / rates.Sum(r => r.Seconds));
    }

    private static async Task<string> ConcatenateAsync(string directory, string media)
    {
        var file = Path.Combine(directory, "..", $"{Path.GetFileName(directory)}-all.tmp.mp4");
        await using var output = File.Create(file);
        foreach (var part in Playlist.Segments(media).Select(s => s.Uri).Prepend("init.mp4"))
        {
            await using var input = File.OpenRead(Path.Combine(directory, part));
            await input.CopyToAsync(output);
        }

        return file;
    }
}
