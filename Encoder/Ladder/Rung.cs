using System.Text.Json.Serialization;

namespace Edge.Encoder.Ladder;

/// <summary>One video rendition of a ladder: its size, average bitrate (bits/s) and frame rate.</summary>
public sealed record Rung(int Width, int Height, long Bitrate, string FrameRate)
{
    /// <summary>Peak rate for constrained VBR: 1.5x the average, well inside the spec's 200% ceiling.</summary>
    [JsonIgnore]
    public long MaxRate => Bitrate * 3 / 2;

    /// <summary>VBV buffer: two seconds at the average rate.</summary>
    [JsonIgnore]
    public long BufferSize => Bitrate * 2;

    [JsonIgnore]
    public string Id => $"{Height}p-{Bitrate / 1000}k";

    /// <summary>Quality the per-title hull predicts for this rung, in the report's metric; null for fixed ladders.</summary>
    public double? PredictedQuality { get; init; }

    /// <summary>
    /// Constant-quality setting (x264's CRF scale) of a per-title rung, read off its resolution's trials at its rate,
    /// encoded capped at <see cref="MaxRate"/>; null for a rung at a fixed rate. Easy content then costs what it needs:
    /// at a fixed 64 kbit/s a still's 1080p rung scored VMAF 90 at 31 kbit/s, at CRF 20 it scores 97 for the same.
    /// </summary>
    public double? Crf { get; init; }
}

/// <summary>A quality measurement of one trial encode: the points a per-title hull is built from.</summary>
public sealed record QualityPoint(int Width, int Height, int Crf, long Bitrate, double Quality);

/// <summary>The chosen ladder and, for per-title ladders, the evidence it was chosen from.</summary>
public sealed record LadderReport(string Policy, string? Metric, IReadOnlyList<Rung> Rungs)
{
    /// <summary>Every trial encode measured.</summary>
    public IReadOnlyList<QualityPoint>? Trials { get; init; }

    /// <summary>The rate-quality convex hull over all trials.</summary>
    public IReadOnlyList<QualityPoint>? Hull { get; init; }

    public double? SampleStartSeconds { get; init; }

    public double? SampleSeconds { get; init; }
}
