namespace Edge.Encoder.Packaging;

/// <summary>A rendition's segments as published, with the bitrates measured from them.</summary>
/// <param name="Id">Rendition id, e.g. <c>720p-3000k</c> or <c>aac-128k</c>.</param>
/// <param name="Directory">Path of the rendition's folder relative to the title root, with forward slashes.</param>
/// <param name="FrameRate">Frames per second as a fraction, e.g. <c>30000/1001</c>; null for audio.</param>
public sealed record PackagedRendition(string Id, string Directory, SegmentedTrack Media, string? FrameRate, string? Language = null)
{
    public TrackInfo Track => Media.Track;

    public bool IsVideo => Track.Kind == "video";

    /// <summary>Highest bitrate of any one segment, in bits/s: what HLS <c>BANDWIDTH</c> must state.</summary>
    public long PeakBitrate => (long)Math.Ceiling(Media.Segments.Max(s => s.Size * 8.0 * Track.Timescale / Math.Max(1, s.Duration)));

    /// <summary>Total media bits over total duration: what HLS <c>AVERAGE-BANDWIDTH</c> must state.</summary>
    public long AverageBitrate => (long)Math.Ceiling(Media.Segments.Sum(s => s.Size) * 8.0 / Media.DurationSeconds);

    /// <summary>Highest bitrate of the key frames alone, each over its segment's duration: an I-frame playlist's <c>BANDWIDTH</c>.</summary>
    public long KeyFramePeakBitrate => (long)Math.Ceiling(Media.Segments.Max(s => s.KeyFrameLength * 8.0 * Track.Timescale / Math.Max(1, s.Duration)));

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
