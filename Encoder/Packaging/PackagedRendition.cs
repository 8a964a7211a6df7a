namespace Edge.Encoder.Packaging;

/// <summary>A rendition's segments as published, with the bitrates measured from them.</summary>
/// <param name="Id">Rendition id, e.g. <c>720p-3000k</c> or <c>aac-128k</c>.</param>
/// <param name="Directory">Path of the rendition's folder relative to the title root, with forward slashes.</param>
/// <param name="FrameRate">Frames per second as a fraction, e.g. <c>30000/1001</c>; null for audio.</param>
public sealed record PackagedRendition(string Id, string Directory, SegmentedTrack Media, string? FrameRate, string? Language = null)
{
    public TrackInfo Track => Media.Track;

    public bool IsVideo => Track.Kind == "video";

    /// <summary>Peak segment bit rate in bits/s (RFC 8216bis): what HLS <c>BANDWIDTH</c> must state.</summary>
    public long PeakBitrate
    {
        get
        {
            // RFC 8216bis 4.2: the highest bit rate of any run of segments lasting 0.5 to 1.5 target durations, so a
            // short last segment (its key frame over a fraction of a second) is not measured on its own.
            var segments = Media.Segments;
            var target = Math.Max(1, Math.Round(segments.Max(s => (double)s.Duration) / Track.Timescale)) * Track.Timescale;
            double peak = 0;
            for (var i = 0; i < segments.Count; i++)
            {
                double bytes = 0, duration = 0;
                for (var j = i; j < segments.Count && duration <= target * 1.5; j++)
                {
                    bytes += segments[j].Size;
                    duration += segments[j].Duration;
                    if (duration >= target * 0.5 && duration <= target * 1.5)
                    {
                        peak = Math.Max(peak, bytes * 8 * Track.Timescale / duration);
                    }
                }
            }

            return (long)Math.Ceiling(peak > 0 ? peak : segments.Sum(s => s.Size) * 8.0 * Track.Timescale / Math.Max(1, segments.Sum(s => (double)s.Duration)));
        }
    }

    /// <summary>Total media bits over total duration: what HLS <c>AVERAGE-BANDWIDTH</c> must state.</summary>
    public long AverageBitrate => (long)Math.Ceiling(Media.Segments.Sum(s => s.Size) * 8.0 / Media.DurationSeconds);

    /// <summary>Highest bitrate of the key frames alone, each over its fragment's duration: an I-frame playlist's <c>BANDWIDTH</c>.</summary>
    public long KeyFramePeakBitrate => (long)Math.Ceiling(Media.Segments.SelectMany(s => s.Fragments).Max(f => f.FirstSampleLength * 8.0 * Track.Timescale / Math.Max(1, f.Duration)));

    public double FrameRateValue
    {
        get
        {
            if (FrameRate is null)
            {
                return 0;
            }

            var parts = FrameRate.Split('/');
            return parts.Length == 2 ? double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) / double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)
                : double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public string PlaylistPath => Directory + "/index.m3u8";

    public string IFramePlaylistPath => Directory + "/iframes.m3u8";
}
