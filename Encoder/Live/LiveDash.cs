using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Edge.Encoder.Live;

/// <summary>
/// The low-latency DASH MPD of a live title, over the same CMAF segments the HLS playlists list: a dynamic MPD whose
/// segment template numbers segments as the playlists do, with <c>availabilityTimeOffset</c> so a player asks for a
/// segment as soon as its first part exists (and gets it chunked as it grows), and <c>UTCTiming</c>.
/// </summary>
internal static class LiveDash
{
    private static readonly XNamespace Mpd = "urn:mpeg:dash:schema:mpd:2011";

    /// <param name="timeUrl">Absolute URL of the origin's clock (<c>http-iso</c>).</param>
    public static string Write(LiveTitle title, DateTimeOffset now, string timeUrl)
    {
        var settings = title.Settings;
        var tracks = title.Tracks.Where(t => t.Track is not null && t.FirstStart is not null).ToList();
        var video = tracks.Where(t => t.Track!.Kind == "video").ToList();
        var audio = tracks.Where(t => t.Track!.Kind == "audio").ToList();
        if (video.Count == 0)
        {
            throw new InvalidOperationException("no video track has a segment yet");
        }

        // The wall-clock time of the first segment's start: where segment number FirstMsn begins.
        var first = video[0];
        var start = title.ProgramDateTime((double)first.FirstStart!.Value / first.Track!.Timescale);
        var ended = title.Ended;
        var root = new XElement(Mpd + "MPD",
            new XAttribute("profiles", "urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019,http://dashif.org/guidelines/dash-if-low-latency"),
            new XAttribute("type", "dynamic"),
            new XAttribute("availabilityStartTime", Date(start)),
            new XAttribute("publishTime", Date(now)),
            new XAttribute("timeShiftBufferDepth", Duration(settings.DvrSeconds)),
            new XAttribute("maxSegmentDuration", Duration(settings.SegmentSeconds)),
            new XAttribute("minBufferTime", Duration(settings.PartSeconds)));
        if (ended)
        {
            var seconds = video.Max(t => t.CompleteSegments() is { Count: > 0 } done
                ? (double)(done[^1].Start + done[^1].Duration - t.FirstStart!.Value) / t.Track!.Timescale
                : 0);
            root.Add(new XAttribute("mediaPresentationDuration", Duration(seconds)));
        }
        else
        {
            // The template never changes; a reload is only needed to learn that the event ended.
            root.Add(new XAttribute("minimumUpdatePeriod", Duration(settings.SegmentSeconds)));
        }

        root.Add(new XElement(Mpd + "ServiceDescription", new XAttribute("id", "0"),
            new XElement(Mpd + "Latency", new XAttribute("referenceId", "0"), new XAttribute("target", Millis(Math.Max(2, settings.PartHoldBackSeconds + settings.PartSeconds))),
                new XAttribute("min", Millis(settings.PartHoldBackSeconds)), new XAttribute("max", Millis(3 * settings.SegmentSeconds))),
            new XElement(Mpd + "PlaybackRate", new XAttribute("min", "0.96"), new XAttribute("max", "1.04"))));

        var period = new XElement(Mpd + "Period", new XAttribute("id", "0"), new XAttribute("start", "PT0S"));
        var videoSet = new XElement(Mpd + "AdaptationSet",
            new XAttribute("id", "0"), new XAttribute("contentType", "video"), new XAttribute("mimeType", "video/mp4"),
            new XAttribute("segmentAlignment", "true"), new XAttribute("startWithSAP", "1"));
        foreach (var track in video)
        {
            var info = track.Track!;
            videoSet.Add(new XElement(Mpd + "Representation",
                new XAttribute("id", track.Id), new XAttribute("bandwidth", track.Bandwidth), new XAttribute("codecs", info.Codecs),
                new XAttribute("width", info.Width), new XAttribute("height", info.Height),
                new XAttribute("frameRate", track.FrameRate.ToString("0.###", CultureInfo.InvariantCulture)), new XAttribute("sar", "1:1"),
                Template(title, track)));
        }

        period.Add(videoSet);
        foreach (var track in audio)
        {
            var info = track.Track!;
            period.Add(new XElement(Mpd + "AdaptationSet",
                new XAttribute("id", "1"), new XAttribute("contentType", "audio"), new XAttribute("mimeType", "audio/mp4"),
                new XAttribute("segmentAlignment", "true"), new XAttribute("startWithSAP", "1"),
                new XElement(Mpd + "Representation",
                    new XAttribute("id", track.Id), new XAttribute("bandwidth", track.Bandwidth), new XAttribute("codecs", info.Codecs),
                    new XAttribute("audioSamplingRate", info.SampleRate),
                    new XElement(Mpd + "AudioChannelConfiguration",
                        new XAttribute("schemeIdUri", "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"), new XAttribute("value", info.Channels)),
                    Template(title, track))));
        }

        root.Add(period);
        root.Add(new XElement(Mpd + "UTCTiming", new XAttribute("schemeIdUri", "urn:mpeg:dash:utc:http-iso:2014"), new XAttribute("value", timeUrl)));
        root.Add(new XElement(Mpd + "UTCTiming", new XAttribute("schemeIdUri", "urn:mpeg:dash:utc:direct:2014"), new XAttribute("value", Date(now))));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root).Declaration + "\n" + root + "\n";
    }

    // Segment N starts (N - FirstMsn) segment lengths after the first segment; it may be asked for as soon as its
    // first part exists, a segment less a part before it is whole.
    private static XElement Template(LiveTitle title, LiveTrack track)
    {
        var timescale = track.Track!.Timescale;
        var settings = title.Settings;
        return new XElement(Mpd + "SegmentTemplate",
            new XAttribute("timescale", timescale),
            new XAttribute("initialization", $"{track.Id}/init.mp4"),
            new XAttribute("media", $"{track.Id}/seg$Number$.m4s"),
            new XAttribute("startNumber", title.FirstMsn),
            new XAttribute("duration", (long)Math.Round(settings.SegmentSeconds * timescale)),
            new XAttribute("presentationTimeOffset", track.FirstStart!.Value),
            new XAttribute("availabilityTimeOffset", (settings.SegmentSeconds - settings.PartSeconds).ToString("0.###", CultureInfo.InvariantCulture)),
            new XAttribute("availabilityTimeComplete", "false"));
    }

    private static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static string Duration(double seconds) => XmlConvert.ToString(TimeSpan.FromSeconds(Math.Round(seconds, 3)));

    private static string Millis(double seconds) => ((long)Math.Round(seconds * 1000)).ToString(CultureInfo.InvariantCulture);
}
