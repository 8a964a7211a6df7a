using Edge.ControlPlane.Steering;

namespace Edge.ControlPlane.Tests.Steering;

public sealed class HlsSteeringTests
{
    private const string Master = """
        #EXTM3U
        #EXT-X-VERSION:7
        #EXT-X-INDEPENDENT-SEGMENTS
        #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,URI="audio/index.m3u8"
        #EXT-X-STREAM-INF:BANDWIDTH=2000000,AVERAGE-BANDWIDTH=1800000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="aac"
        720p/index.m3u8
        #EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,AUDIO="aac"
        360p/index.m3u8
        #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=200000,CODECS="avc1.64001f",RESOLUTION=1280x720,URI="720p/iframes.m3u8"
        """;

    private static readonly Pathway[] Pathways = [new("ams-1", "http://127.0.0.1:9001"), new("fra-1", "http://127.0.0.1:9003")];

    [Fact]
    public void Rewrite_TwoPathways_EveryStreamOncePerPathwayWithAbsoluteUris()
    {
        var output = HlsSteering.Rewrite(Master, "/sample/master.m3u8", Pathways, "/v1/steering/hls?path=%2Fsample%2Fmaster.m3u8");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("#EXTM3U", lines[0]);
        Assert.Single(lines, l => l == "#EXT-X-INDEPENDENT-SEGMENTS");
        Assert.Single(lines, l => l == "#EXT-X-CONTENT-STEERING:SERVER-URI=\"/v1/steering/hls?path=%2Fsample%2Fmaster.m3u8\",PATHWAY-ID=\"ams-1\"");
        Assert.Equal(4, lines.Count(l => l.StartsWith("#EXT-X-STREAM-INF:", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Count(l => l.StartsWith("#EXT-X-I-FRAME-STREAM-INF:", StringComparison.Ordinal)));
        Assert.Contains("http://127.0.0.1:9001/sample/720p/index.m3u8", lines);
        Assert.Contains("http://127.0.0.1:9003/sample/360p/index.m3u8", lines);
        Assert.Contains(lines, l => l.StartsWith("#EXT-X-MEDIA:", StringComparison.Ordinal) && l.Contains("GROUP-ID=\"aac.fra-1\"", StringComparison.Ordinal)
            && l.Contains("URI=\"http://127.0.0.1:9003/sample/audio/index.m3u8\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("#EXT-X-STREAM-INF:BANDWIDTH=2000000,", StringComparison.Ordinal)
            && l.EndsWith("AUDIO=\"aac.ams-1\",PATHWAY-ID=\"ams-1\"", StringComparison.Ordinal)
            && l.Contains("CODECS=\"avc1.64001f,mp4a.40.2\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("#EXT-X-I-FRAME-STREAM-INF:", StringComparison.Ordinal)
            && l.Contains("URI=\"http://127.0.0.1:9003/sample/720p/iframes.m3u8\"", StringComparison.Ordinal)
            && l.EndsWith("PATHWAY-ID=\"fra-1\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Rewrite_AlreadySteered_ReplacesOldSteeringTag()
    {
        var steered = HlsSteering.Rewrite(Master, "/sample/master.m3u8", Pathways, "/a");

        var again = HlsSteering.Rewrite(steered.Replace("PATHWAY-ID=\"fra-1\"", "PATHWAY-ID=\"x\"", StringComparison.Ordinal), "/sample/master.m3u8", [Pathways[0]], "/b");

        Assert.DoesNotContain("SERVER-URI=\"/a\"", again, StringComparison.Ordinal);
        Assert.Contains("SERVER-URI=\"/b\"", again, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("#EXTM3U\n#EXTINF:4,\nseg.m4s\n", false)]
    [InlineData(Master, true)]
    [InlineData("<html>", false)]
    public void IsMultivariant_Playlist_TellsMasterFromMedia(string playlist, bool expected) =>
        Assert.Equal(expected, HlsSteering.IsMultivariant(playlist));

    [Fact]
    public void ParseAttributes_QuotedCommas_KeptInValue()
    {
        var attributes = HlsSteering.ParseAttributes("BANDWIDTH=1,CODECS=\"a,b\",RESOLUTION=2x2");

        Assert.Equal([("BANDWIDTH", "1"), ("CODECS", "\"a,b\""), ("RESOLUTION", "2x2")], attributes);
    }
}
