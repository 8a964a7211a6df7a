using Edge.Load.Players;

namespace Edge.Load.Tests.Players;

public sealed class HlsPlaylistsTests
{
    private const string Steered = """
        #EXTM3U
        #EXT-X-VERSION:7
        #EXT-X-CONTENT-STEERING:SERVER-URI="http://cp/v1/steering/hls?t=x",PATHWAY-ID="edge-b"
        #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud-edge-a",NAME="en",URI="http://a/t/audio/index.m3u8",PATHWAY-ID="edge-a"
        #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud-edge-b",NAME="en",URI="http://b/t/audio/index.m3u8",PATHWAY-ID="edge-b"
        #EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="aud-edge-a",PATHWAY-ID="edge-a"
        http://a/t/360p/index.m3u8
        #EXT-X-STREAM-INF:BANDWIDTH=200000,RESOLUTION=320x180,CODECS="avc1.64001e,mp4a.40.2",AUDIO="aud-edge-a",PATHWAY-ID="edge-a"
        http://a/t/180p/index.m3u8
        #EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="aud-edge-b",PATHWAY-ID="edge-b"
        http://b/t/360p/index.m3u8
        #EXT-X-STREAM-INF:BANDWIDTH=200000,RESOLUTION=320x180,CODECS="avc1.64001e,mp4a.40.2",AUDIO="aud-edge-b",PATHWAY-ID="edge-b"
        http://b/t/180p/index.m3u8
        """;

    [Fact]
    public void ParseMaster_SteeredPlaylist_DefaultPathwayFirstAndItsOwnAudio()
    {
        var master = HlsPlaylists.ParseMaster(Steered, new Uri("http://cp/v1/play/t/master.m3u8"));

        Assert.Equal(["edge-b", "edge-a"], master.Pathways);
        var variants = master.VariantsOf("edge-b");
        Assert.Equal([200_000L, 800_000L], variants.Select(v => v.Bandwidth));
        Assert.Equal(new Uri("http://b/t/180p/index.m3u8"), variants[0].Uri);
        Assert.Equal(new Uri("http://b/t/audio/index.m3u8"), master.AudioFor(variants[1])!.Uri);
        Assert.Equal("640x360", variants[1].Resolution);
    }

    [Fact]
    public void ParseMaster_RelativeUrisWithoutPathways_ResolvedAgainstThePlaylist()
    {
        var master = HlsPlaylists.ParseMaster("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\nv0/index.m3u8\n", new Uri("http://edge/t/master.m3u8"));

        Assert.Equal([null], master.Pathways);
        Assert.Equal(new Uri("http://edge/t/v0/index.m3u8"), master.VariantsOf(null)[0].Uri);
    }

    [Fact]
    public void ParseMaster_MediaPlaylist_RefusedWithAReason()
    {
        var error = Assert.Throws<FormatException>(() => HlsPlaylists.ParseMaster("#EXTM3U\n#EXTINF:4,\nseg.m4s\n", new Uri("http://edge/t/x.m3u8")));

        Assert.Contains("EXT-X-STREAM-INF", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseMedia_MapAndSegments_DurationsAndAbsoluteUris()
    {
        var media = HlsPlaylists.ParseMedia("""
            #EXTM3U
            #EXT-X-TARGETDURATION:4
            #EXT-X-MAP:URI="init.mp4"
            #EXTINF:4.004,
            seg_00001.m4s
            #EXTINF:2.5,title
            seg_00002.m4s
            #EXT-X-ENDLIST
            """, new Uri("http://edge/t/v0/index.m3u8"));

        Assert.Equal(new Uri("http://edge/t/v0/init.mp4"), media.Init);
        Assert.Equal([4.004, 2.5], media.Segments.Select(s => s.Duration));
        Assert.Equal(new Uri("http://edge/t/v0/seg_00002.m4s"), media.Segments[1].Uri);
        Assert.True(media.Ended);
    }

    [Fact]
    public void Attributes_QuotedValueWithCommas_KeptWhole()
    {
        var attributes = HlsPlaylists.Attributes("BANDWIDTH=1,CODECS=\"avc1.64001e,mp4a.40.2\",RESOLUTION=1x1");

        Assert.Equal("avc1.64001e,mp4a.40.2", attributes["CODECS"]);
        Assert.Equal("1x1", attributes["RESOLUTION"]);
    }
}
