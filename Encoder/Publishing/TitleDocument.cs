using Edge.Encoder.Ladder;

namespace Edge.Encoder.Publishing;

/// <summary>One published rendition, as <c>title.json</c> lists it; bitrates are measured from the segments.</summary>
public sealed record RenditionDocument(
    string Id,
    string Type,
    string Codecs,
    long Bandwidth,
    long AverageBandwidth,
    int Segments,
    string Playlist)
{
    public int? Width { get; init; }

    public int? Height { get; init; }

    public string? FrameRate { get; init; }

    public int? Channels { get; init; }

    public string? IFramePlaylist { get; init; }

    /// <summary>The rate the encoder aimed at.</summary>
    public long TargetBitrate { get; init; }
}

/// <summary><c>title.json</c>: what the origin and operators need to know about a published title.</summary>
public sealed record TitleDocument(
    string Id,
    double DurationSeconds,
    double SegmentSeconds,
    string Codec,
    string Master,
    string Mpd,
    IReadOnlyList<RenditionDocument> Renditions,
    LadderReport Ladder,
    DateTimeOffset PublishedAt);
