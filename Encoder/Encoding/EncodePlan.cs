using Edge.Encoder.Ladder;

namespace Edge.Encoder.Encoding;

/// <summary>What to encode: the command line's options.</summary>
public sealed record EncodeRequest(string Input, string Output)
{
    /// <summary><c>default</c> (Apple's ladder), <c>per-title</c>, or the path of a ladder JSON file.</summary>
    public string Ladder { get; init; } = "default";

    public VideoCodec Codec { get; init; } = VideoCodec.H264;

    /// <summary>Segment length in seconds; every rendition has a key frame at each multiple. Default 6 (the spec's advice).</summary>
    public double SegmentSeconds { get; init; } = 6;

    /// <summary>x264-style speed preset. Default fast.</summary>
    public string Preset { get; init; } = "fast";

    /// <summary>AAC stereo rate in bits/s. Default 128,000.</summary>
    public long AudioBitrate { get; init; } = 128_000;

    /// <summary><c>auto</c> (VMAF when an ffmpeg with libvmaf is at hand, else SSIM), <c>vmaf</c>, <c>ssim</c> or <c>psnr</c>.</summary>
    public string Metric { get; init; } = "auto";

    /// <summary>Where VMAF comes from when the encoding ffmpeg has no libvmaf.</summary>
    public VmafOptions Vmaf { get; init; } = new();

    /// <summary>Replace a title already published under the same id; titles are otherwise immutable.</summary>
    public bool Replace { get; init; }

    public PerTitleOptions PerTitle { get; init; } = new();
}

/// <summary>One rendition to encode: a rung of the ladder, or the audio.</summary>
public sealed record PlannedRendition(string Id, string Kind, Rung? Rung, long? AudioBitrate)
{
    /// <summary>Folder under the title root.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Directory => (Kind == "video" ? "video/" : "audio/") + Id;
}

/// <summary>A title's full encode plan; split jobs share it as a JSON file.</summary>
public sealed record EncodePlan(
    string TitleId,
    string ContentRoot,
    string Codec,
    double SegmentSeconds,
    string Preset,
    bool Replace,
    SourceInfo Source,
    LadderReport Ladder,
    IReadOnlyList<PlannedRendition> Renditions)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public VideoCodec VideoCodec => Encoding.VideoCodec.Parse(Codec) ?? throw new EncoderException($"unknown codec '{Codec}'");
}
