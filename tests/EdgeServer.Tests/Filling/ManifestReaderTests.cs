using Edge.EdgeServer.Filling;

namespace Edge.EdgeServer.Tests.Filling;

public class ManifestReaderTests
{
    [Fact]
    public void References_HlsMaster_VariantsRenditionsAndIFramePlaylists()
    {
        const string master = """
            #EXTM3U
            #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Main",URI="audio/aac/index.m3u8"
            #EXT-X-STREAM-INF:BANDWIDTH=500000,CODECS="avc1.64001e,mp4a.40.2",AUDIO="audio"
            video/360p/index.m3u8
            #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=40000,URI="video/360p/iframes.m3u8"
            https://elsewhere.example/other.m3u8
            """;

        Assert.Equal(
            ["/t/audio/aac/index.m3u8", "/t/video/360p/iframes.m3u8", "/t/video/360p/index.m3u8"],
            ManifestReader.References("/t/master.m3u8", master).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void References_HlsMedia_MapAndSegmentsResolvedAgainstThePlaylist()
    {
        const string media = "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2,\nseg_00001.m4s\n#EXTINF:2,\n../shared/seg_00002.m4s?x=1\n#EXT-X-ENDLIST\n";

        Assert.Equal(["/t/v/init.mp4", "/t/v/seg_00001.m4s", "/t/shared/seg_00002.m4s"], ManifestReader.References("/t/v/index.m3u8", media));
    }

    [Fact]
    public void References_DashTemplateWithTimeline_EveryNumberedSegment()
    {
        const string mpd = """
            <?xml version="1.0"?>
            <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT6S">
              <Period>
                <AdaptationSet contentType="video">
                  <Representation id="360p" bandwidth="400000">
                    <SegmentTemplate timescale="1000" initialization="video/$RepresentationID$/init.mp4" media="video/$RepresentationID$/seg_$Number%05d$.m4s" startNumber="1">
                      <SegmentTimeline><S t="0" d="2000" r="1"/><S d="1500"/></SegmentTimeline>
                    </SegmentTemplate>
                  </Representation>
                </AdaptationSet>
                <AdaptationSet contentType="audio">
                  <SegmentTemplate timescale="48000" duration="96000" initialization="a/$Bandwidth$/init.mp4" media="a/$Bandwidth$/$Time$.m4s"/>
                  <Representation id="aac" bandwidth="128000"/>
                </AdaptationSet>
              </Period>
            </MPD>
            """;

        Assert.Equal(
            [
                "/t/video/360p/init.mp4", "/t/video/360p/seg_00001.m4s", "/t/video/360p/seg_00002.m4s", "/t/video/360p/seg_00003.m4s",
                "/t/a/128000/init.mp4", "/t/a/128000/0.m4s", "/t/a/128000/96000.m4s", "/t/a/128000/192000.m4s",
            ],
            ManifestReader.References("/t/manifest.mpd", mpd));
    }

    [Fact]
    public void References_DashWithDoctype_Refused()
    {
        Assert.ThrowsAny<System.Xml.XmlException>(() => ManifestReader.References("/t/m.mpd", "<!DOCTYPE MPD [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><MPD/>"));
    }

    [Theory]
    [InlineData("/t/v/index.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PART-INF:PART-TARGET=0.334\n", 334)]
    [InlineData("/t/v/index.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\ns.m4s\n", 3000)]
    [InlineData("/t/v/index.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:60\n", 10_000)]
    [InlineData("/t/v/index.m3u8", "#EXTM3U\n#EXT-X-PART-INF:PART-TARGET=0.01\n", 250)]
    [InlineData("/t/v/index.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:nonsense\n", 1000)]
    [InlineData("/t/live.mpd", "<MPD type=\"dynamic\" minimumUpdatePeriod=\"PT2S\"/>", 2000)]
    [InlineData("/t/live.mpd", "<MPD type=\"dynamic\" minimumUpdatePeriod=\"P1Y\"/>", 10_000)]
    [InlineData("/t/live.mpd", "<MPD type=\"dynamic\" minimumUpdatePeriod=\"soon\"/>", 1000)]
    public void ReloadInterval_WhatTheManifestSays_BoundedMilliseconds(string key, string text, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ManifestReader.ReloadInterval(key, text));
    }

    [Fact]
    public void References_DynamicMpdWithNumberTemplate_SegmentsCompleteNowWithinTheTimeShiftWindow()
    {
        const string mpd = """
            <?xml version="1.0"?>
            <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" availabilityStartTime="2026-12-05T10:00:00Z" timeShiftBufferDepth="PT6S">
              <Period start="PT0S">
                <AdaptationSet contentType="video">
                  <SegmentTemplate timescale="90000" duration="180000" startNumber="100" initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/seg$Number$.m4s"/>
                  <Representation id="360p" bandwidth="400000"/>
                </AdaptationSet>
              </Period>
            </MPD>
            """;

        // 61 s in: 30 segments of 2 s are complete (100 to 129); the last 6 s of them are 127 to 129.
        var now = new DateTimeOffset(2026, 12, 5, 10, 1, 1, TimeSpan.Zero);

        Assert.Equal(
            ["/t/360p/init.mp4", "/t/360p/seg127.m4s", "/t/360p/seg128.m4s", "/t/360p/seg129.m4s"],
            ManifestReader.References("/t/live.mpd", mpd, now));
        Assert.Equal(["/t/360p/init.mp4"], ManifestReader.References("/t/live.mpd", mpd, now.AddMinutes(-2)));
    }

    [Fact]
    public void References_TemplateNamingBillionsOfSegments_FormatException()
    {
        const string mpd = """
            <?xml version="1.0"?>
            <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT1000000H">
              <Period>
                <AdaptationSet contentType="video">
                  <SegmentTemplate timescale="1000" duration="1" media="s$Number$.m4s"/>
                  <Representation id="v" bandwidth="1"/>
                </AdaptationSet>
              </Period>
            </MPD>
            """;

        var error = Assert.Throws<FormatException>(() => ManifestReader.References("/t/x.mpd", mpd));
        Assert.Contains("more than 100000 objects", error.Message, StringComparison.Ordinal);
    }
}
