namespace Edge.Encoder.Ladder;

/// <summary>What ffprobe says about a source: the facts a ladder is cut to.</summary>
public sealed record SourceInfo(
    string Path,
    int Width,
    int Height,
    FrameRate FrameRate,
    double DurationSeconds,
    bool HasAudio,
    string? AudioLanguage = null)
{
    /// <summary>Whether the video is interlaced (deinterlaced before it is scaled: players need progressive video).</summary>
    public bool Interlaced { get; init; }

    /// <summary>How long after the first video frame the audio starts; its first segment starts that late.</summary>
    public double AudioDelaySeconds { get; init; }

    /// <summary>Width for a rendition of <paramref name="height"/> lines at the source's shape, rounded to even.</summary>
    public int WidthFor(int height) => Math.Min(Width, Even((double)Width * height / Height));

    private static int Even(double value) => Math.Max(2, (int)Math.Round(value / 2) * 2);
}
