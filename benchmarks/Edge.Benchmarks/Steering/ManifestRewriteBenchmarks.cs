using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Edge.ControlPlane.Steering;

namespace Edge.Benchmarks.Steering;

/// <summary>
/// The control plane's per-play manifest work: an HLS multivariant playlist (7 video rungs, audio, I-frame
/// playlists) and a DASH MPD of the same title rewritten for content steering over 3 pathways.
/// </summary>
[MemoryDiagnoser]
public class ManifestRewriteBenchmarks
{
    private static readonly int[] Heights = [234, 360, 432, 540, 720, 1080, 1440];
    private readonly Pathway[] _pathways =
    [
        new("edge-a1", "http://10.0.0.1:8080"),
        new("edge-a2", "http://10.0.0.2:8080"),
        new("edge-b1", "http://10.0.1.1:8080"),
    ];

    private string _master = "";
    private string _mpd = "";

    [GlobalSetup]
    public void Setup()
    {
        var master = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
        master.Append("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"en\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio/index.m3u8\"\n");
        var mpd = new StringBuilder("<?xml version=\"1.0\"?>\n<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" mediaPresentationDuration=\"PT600S\" minBufferTime=\"PT2S\" profiles=\"urn:mpeg:dash:profile:cmaf:2019\">\n<Period id=\"0\">\n<AdaptationSet contentType=\"video\" segmentAlignment=\"true\">\n");
        foreach (var height in Heights)
        {
            var width = height * 16 / 9;
            var bitrate = height * 4000;
            master.Append(CultureInfo.InvariantCulture, $"#EXT-X-STREAM-INF:BANDWIDTH={bitrate},AVERAGE-BANDWIDTH={bitrate * 8 / 10},RESOLUTION={width}x{height},FRAME-RATE=30.000,CODECS=\"avc1.64001f,mp4a.40.2\",AUDIO=\"aud\",CLOSED-CAPTIONS=NONE\nvideo/{height}p/index.m3u8\n");
            master.Append(CultureInfo.InvariantCulture, $"#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH={bitrate / 10},RESOLUTION={width}x{height},CODECS=\"avc1.64001f\",URI=\"video/{height}p/iframes.m3u8\"\n");
            mpd.Append(CultureInfo.InvariantCulture, $"<Representation id=\"{height}p\" bandwidth=\"{bitrate}\" width=\"{width}\" height=\"{height}\" codecs=\"avc1.64001f\" mimeType=\"video/mp4\"><SegmentTemplate timescale=\"90000\" initialization=\"video/{height}p/init.mp4\" media=\"video/{height}p/seg_$Number%05d$.m4s\" startNumber=\"1\"><SegmentTimeline><S t=\"0\" d=\"540000\" r=\"99\"/></SegmentTimeline></SegmentTemplate></Representation>\n");
        }

        _master = master.ToString();
        _mpd = mpd.Append("</AdaptationSet>\n</Period>\n</MPD>\n").ToString();
    }

    [Benchmark(Baseline = true)]
    public string Hls() => HlsSteering.Rewrite(_master, "/titles/t1/master.m3u8", _pathways, "http://cp.example/v1/steering/hls?t=abc");

    [Benchmark]
    public string Dash() => DashSteering.Rewrite(_mpd, "/titles/t1/manifest.mpd", _pathways, "http://cp.example/v1/steering/dash?t=abc");
}
