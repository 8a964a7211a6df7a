using System.Xml.Linq;
using Edge.Encoder.Live;
using Edge.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Encoder.Tests.Live;

public sealed class LiveDashTests
{
    private static readonly XNamespace Mpd = "urn:mpeg:dash:schema:mpd:2011";
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Write_LiveTitle_DynamicLowLatencyMpdNumberedAsThePlaylists()
    {
        using var temp = new TempDirectory();
        var video = await LiveSource.VideoAsync(temp.Path, 5);
        var audio = await LiveSource.AudioAsync(temp.Path, 5);
        var time = new FakeTimeProvider(Start);
        using var title = new LiveTitle("ev", new LiveSettings(), time, archive: null);
        var v = title.AddTrack("90p", 300_000, 30);
        var a = title.AddTrack("audio", 64_000);
        video.Start(v);
        audio.Start(a);
        video.Feed(v, 0, 70);
        audio.Feed(a, 0, 20);
        time.Advance(TimeSpan.FromSeconds(2.5));

        var root = XDocument.Parse(LiveDash.Write(title, time.GetUtcNow(), "http://origin/ev/time")).Root!;

        Assert.Equal("dynamic", root.Attribute("type")!.Value);
        Assert.Equal("2026-12-05T12:00:00.000Z", root.Attribute("availabilityStartTime")!.Value);
        Assert.Equal("2026-12-05T12:00:02.500Z", root.Attribute("publishTime")!.Value);
        Assert.Equal("PT1M", root.Attribute("timeShiftBufferDepth")!.Value);
        Assert.NotNull(root.Attribute("minimumUpdatePeriod"));
        Assert.Null(root.Attribute("mediaPresentationDuration"));
        var templates = root.Descendants(Mpd + "SegmentTemplate").ToList();
        Assert.Equal(2, templates.Count);
        Assert.All(templates, t =>
        {
            Assert.Equal(title.FirstMsn.ToString(System.Globalization.CultureInfo.InvariantCulture), t.Attribute("startNumber")!.Value);
            Assert.Equal("1.5", t.Attribute("availabilityTimeOffset")!.Value);
            Assert.Equal("false", t.Attribute("availabilityTimeComplete")!.Value);
            Assert.Equal("0", t.Attribute("presentationTimeOffset")!.Value);
        });
        Assert.Equal("90p/seg$Number$.m4s", templates[0].Attribute("media")!.Value);
        Assert.Equal((2 * v.Track!.Timescale).ToString(System.Globalization.CultureInfo.InvariantCulture), templates[0].Attribute("duration")!.Value);
        Assert.Equal("audio/init.mp4", templates[1].Attribute("initialization")!.Value);
        var timing = root.Elements(Mpd + "UTCTiming").Select(e => (e.Attribute("schemeIdUri")!.Value, e.Attribute("value")!.Value)).ToList();
        Assert.Equal(("urn:mpeg:dash:utc:http-iso:2014", "http://origin/ev/time"), timing[0]);
        Assert.Equal(("urn:mpeg:dash:utc:direct:2014", "2026-12-05T12:00:02.500Z"), timing[1]);
        Assert.NotNull(root.Element(Mpd + "ServiceDescription")!.Element(Mpd + "Latency"));
    }

    [Fact]
    public async Task Write_Ended_PresentationDurationAndNoUpdates()
    {
        using var temp = new TempDirectory();
        var video = await LiveSource.VideoAsync(temp.Path, 5);
        using var title = new LiveTitle("ev", new LiveSettings(), new FakeTimeProvider(Start), archive: null);
        var v = title.AddTrack("90p", 300_000, 30);
        video.Start(v);
        video.Feed(v, 0, video.Fragments.Count);
        title.End();

        var root = XDocument.Parse(LiveDash.Write(title, Start, "http://origin/ev/time")).Root!;

        Assert.Equal("PT5S", root.Attribute("mediaPresentationDuration")!.Value);
        Assert.Null(root.Attribute("minimumUpdatePeriod"));
    }
}
