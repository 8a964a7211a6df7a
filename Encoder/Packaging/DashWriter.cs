using System.Globalization;
using System.Xml.Linq;

namespace Edge.Encoder.Packaging;

/// <summary>Writes a static DASH MPD (CMAF profile) that addresses the very segments the HLS playlists list.</summary>
public static class DashWriter
{
    private static readonly XNamespace Mpd = "urn:mpeg:dash:schema:mpd:2011";

    public static string Write(IReadOnlyList<PackagedRendition> video, PackagedRendition? audio, double segmentDurationSeconds)
    {
        var duration = video.Max(r => r.Media.DurationSeconds);
        var period = new XElement(Mpd + "Period", new XAttribute("id", "0"), new XAttribute("start", "PT0S"));

        var largest = video.MaxBy(r => r.Track.Height)!.Track;
        var videoSet = new XElement(Mpd + "AdaptationSet",
            new XAttribute("id", "0"),
            new XAttribute("contentType", "video"),
            new XAttribute("mimeType", "video/mp4"),
            new XAttribute("segmentAlignment", "true"),
            new XAttribute("startWithSAP", "1"),
            new XAttribute("maxWidth", video.Max(r => r.Track.Width)),
            new XAttribute("maxHeight", video.Max(r => r.Track.Height)),
            // The picture's shape from the largest rung: smaller ones round their widths to even and drift from it.
            new XAttribute("par", Par(largest.Width, largest.Height)));
        if (video.Where(r => r.FrameRate is not null).MaxBy(r => Ladder.FrameRate.TryParse(r.FrameRate, out var rate) ? rate.Value : 0) is { FrameRate: { } fastest })
        {
            // DASH-IF IOP: a video set states its highest frame rate.
            videoSet.Add(new XAttribute("maxFrameRate", fastest));
        }

        foreach (var rendition in video)
        {
            videoSet.Add(new XElement(Mpd + "Representation",
                new XAttribute("id", rendition.Id),
                new XAttribute("bandwidth", rendition.PeakBitrate),
                new XAttribute("codecs", rendition.Track.Codecs),
                new XAttribute("width", rendition.Track.Width),
                new XAttribute("height", rendition.Track.Height),
                new XAttribute("frameRate", rendition.FrameRate ?? "0"),
                new XAttribute("sar", "1:1"),
                Template(rendition)));
        }

        period.Add(videoSet);
        if (audio is not null)
        {
            var audioSet = new XElement(Mpd + "AdaptationSet",
                new XAttribute("id", "1"),
                new XAttribute("contentType", "audio"),
                new XAttribute("mimeType", "audio/mp4"),
                new XAttribute("segmentAlignment", "true"),
                new XAttribute("startWithSAP", "1"));
            // DASH-IF IOP: every audio set has a language; "und" (BCP 47's undetermined) when the source names none.
            audioSet.Add(new XAttribute("lang", audio.Language is { Length: > 0 } language ? language : "und"));

            audioSet.Add(new XElement(Mpd + "Representation",
                new XAttribute("id", audio.Id),
                new XAttribute("bandwidth", audio.PeakBitrate),
                new XAttribute("codecs", audio.Track.Codecs),
                new XAttribute("audioSamplingRate", audio.Track.SampleRate),
                new XElement(Mpd + "AudioChannelConfiguration",
                    new XAttribute("schemeIdUri", "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"),
                    new XAttribute("value", audio.Track.Channels)),
                Template(audio)));
            period.Add(audioSet);
        }

        var root = new XElement(Mpd + "MPD",
            new XAttribute("profiles", "urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019"),
            new XAttribute("type", "static"),
            new XAttribute("mediaPresentationDuration", IsoDuration(duration)),
            new XAttribute("minBufferTime", IsoDuration(segmentDurationSeconds)),
            period);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root).Declaration + "\n" + root + "\n";
    }

    // A SegmentTimeline with the measured duration of every segment, runs of equal durations folded into @r.
    private static XElement Template(PackagedRendition rendition)
    {
        var timeline = new XElement(Mpd + "SegmentTimeline");
        var segments = rendition.Media.Segments;
        for (var i = 0; i < segments.Count;)
        {
            var run = 1;
            while (i + run < segments.Count && segments[i + run].Duration == segments[i].Duration)
            {
                run++;
            }

            var s = new XElement(Mpd + "S");
            if (i == 0)
            {
                s.Add(new XAttribute("t", segments[0].Start));
            }

            s.Add(new XAttribute("d", segments[i].Duration));
            if (run > 1)
            {
                s.Add(new XAttribute("r", run - 1));
            }

            timeline.Add(s);
            i += run;
        }

        return new XElement(Mpd + "SegmentTemplate",
            new XAttribute("timescale", rendition.Track.Timescale),
            new XAttribute("initialization", $"{rendition.Directory}/{rendition.Media.InitFile}"),
            new XAttribute("media", $"{rendition.Directory}/seg_$Number%05d$.m4s"),
            new XAttribute("startNumber", 1),
            timeline);
    }

    private static string Par(int width, int height)
    {
        var gcd = Gcd(width, height);
        return string.Create(CultureInfo.InvariantCulture, $"{width / gcd}:{height / gcd}");
    }

    private static int Gcd(int a, int b) => b == 0 ? Math.Max(a, 1) : Gcd(b, a % b);

    private static string IsoDuration(double seconds) => string.Create(CultureInfo.InvariantCulture, $"PT{seconds:0.###}S");
}
