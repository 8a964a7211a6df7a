using System.Globalization;
using System.Text;

namespace Edge.Encoder.Packaging;

/// <summary>
/// Writes VOD HLS playlists over CMAF segments to the Apple HLS authoring spec: measured <c>BANDWIDTH</c> and
/// <c>AVERAGE-BANDWIDTH</c>, <c>CODECS</c>, <c>RESOLUTION</c>, <c>FRAME-RATE</c>, an audio group, independent
/// segments, <c>EXT-X-MAP</c> and I-frame playlists.
/// </summary>
public static class HlsWriter
{
    public const string AudioGroup = "audio";

    public static string MediaPlaylist(PackagedRendition rendition)
    {
        var media = rendition.Media;
        var builder = Header(media);
        foreach (var segment in media.Segments)
        {
            builder.Append(CultureInfo.InvariantCulture, $"#EXTINF:{Seconds(segment.Duration, media.Track.Timescale)},\n{segment.File}\n");
        }

        return builder.Append("#EXT-X-ENDLIST\n").ToString();
    }

    public static string IFramePlaylist(PackagedRendition rendition)
    {
        var media = rendition.Media;
        var builder = Header(media, iFramesOnly: true);
        // Every key frame: each fragment of a segment starts with one (every 2 s at most, as Apple asks).
        foreach (var segment in media.Segments)
        {
            foreach (var fragment in segment.Fragments)
            {
                builder.Append(CultureInfo.InvariantCulture, $"#EXTINF:{Seconds(fragment.Duration, media.Track.Timescale)},\n#EXT-X-BYTERANGE:{fragment.FirstSampleLength}@{fragment.Offset}\n{segment.File}\n");
            }
        }

        return builder.Append("#EXT-X-ENDLIST\n").ToString();
    }

    public static string MultivariantPlaylist(IReadOnlyList<PackagedRendition> video, PackagedRendition? audio)
    {
        var builder = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n\n");
        if (audio is not null)
        {
            var language = audio.Language is { Length: > 0 } lang and not "und" ? $",LANGUAGE=\"{lang}\"" : "";
            builder.Append(CultureInfo.InvariantCulture,
                $"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"{AudioGroup}\",NAME=\"Main\"{language},DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"{audio.Track.Channels}\",URI=\"{audio.PlaylistPath}\"\n\n");
        }

        foreach (var rendition in video)
        {
            var peak = rendition.PeakBitrate + (audio?.PeakBitrate ?? 0);
            var average = rendition.AverageBitrate + (audio?.AverageBitrate ?? 0);
            var codecs = audio is null ? rendition.Track.Codecs : $"{rendition.Track.Codecs},{audio.Track.Codecs}";
            builder.Append(CultureInfo.InvariantCulture,
                $"#EXT-X-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={average},CODECS=\"{codecs}\",RESOLUTION={rendition.Track.Width}x{rendition.Track.Height},FRAME-RATE={rendition.FrameRateValue:F3}");
            if (audio is not null)
            {
                builder.Append(CultureInfo.InvariantCulture, $",AUDIO=\"{AudioGroup}\"");
            }

            builder.Append(CultureInfo.InvariantCulture, $",CLOSED-CAPTIONS=NONE\n{rendition.PlaylistPath}\n");
        }

        builder.Append('\n');
        foreach (var rendition in video)
        {
            builder.Append(CultureInfo.InvariantCulture,
                $"#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH={rendition.KeyFramePeakBitrate},CODECS=\"{rendition.Track.Codecs}\",RESOLUTION={rendition.Track.Width}x{rendition.Track.Height},URI=\"{rendition.IFramePlaylistPath}\"\n");
        }

        return builder.ToString();
    }

    /// <summary>The smallest target duration every segment's rounded duration fits under.</summary>
    public static int TargetDuration(SegmentedTrack media) =>
        Math.Max(1, media.Segments.Max(s => (int)Math.Round((double)s.Duration / media.Track.Timescale, MidpointRounding.AwayFromZero)));

    private static StringBuilder Header(SegmentedTrack media, bool iFramesOnly = false)
    {
        var builder = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:7\n");
        builder.Append(CultureInfo.InvariantCulture, $"#EXT-X-TARGETDURATION:{TargetDuration(media)}\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n");
        if (iFramesOnly)
        {
            builder.Append("#EXT-X-I-FRAMES-ONLY\n");
        }

        return builder.Append(CultureInfo.InvariantCulture, $"#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"{media.InitFile}\"\n");
    }

    private static string Seconds(ulong ticks, uint timescale) => ((double)ticks / timescale).ToString("F5", CultureInfo.InvariantCulture);
}
