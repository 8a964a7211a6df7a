namespace Edge.Encoder.Live;

/// <summary>How a live title is cut and how long it is kept.</summary>
/// <param name="SegmentSeconds">Media segment length; key frames fall on segment starts. Default 2.</param>
/// <param name="PartSeconds">Partial segment target (<c>PART-TARGET</c>). Default 0.5.</param>
/// <param name="DvrSeconds">How far behind live a player may seek: the playlist's window. Default 60.</param>
public sealed record LiveSettings(double SegmentSeconds = 2, double PartSeconds = 0.5, double DvrSeconds = 60)
{
    /// <summary><c>EXT-X-TARGETDURATION</c>: segments are cut on key frames forced at the segment length.</summary>
    public int TargetDuration => (int)Math.Ceiling(SegmentSeconds - 1e-9);

    /// <summary>
    /// Key frames fall on every segment start and about every second between: a player joining or switching
    /// renditions starts at an independent part, so the closer they are the sooner it plays. The same segment
    /// length is kept, so segments still start on key frames.
    /// </summary>
    public double KeyFrameSeconds => SegmentSeconds / Math.Max(1, Math.Round(SegmentSeconds));

    /// <summary><c>PART-HOLD-BACK</c>: three part targets, as the spec recommends.</summary>
    public double PartHoldBackSeconds => 3 * PartSeconds;

    /// <summary><c>CAN-SKIP-UNTIL</c>: six target durations, the spec's least.</summary>
    public double SkipUntilSeconds => 6 * TargetDuration;

    /// <summary>How long a blocking playlist reload or a hinted part is held before 503: three target durations.</summary>
    public TimeSpan HoldTimeout => TimeSpan.FromSeconds(3 * TargetDuration);

    /// <summary>
    /// How many parts beyond the newest a blocking reload may ask for before it is refused (the spec's Advance Part
    /// Limit): three seconds' worth when parts are under a second, else three.
    /// </summary>
    public int AdvancePartLimit => PartSeconds < 1 ? (int)Math.Ceiling(3 / PartSeconds) : 3;

    /// <summary>Throws naming the setting that is out of range.</summary>
    public void Validate()
    {
        if (!(SegmentSeconds is >= 1 and <= 10))
        {
            throw new ArgumentException($"--segment-duration must be between 1 and 10 seconds, not {SegmentSeconds}");
        }

        if (!(PartSeconds is >= 0.1 and <= 2) || PartSeconds > SegmentSeconds / 2)
        {
            throw new ArgumentException($"--part-duration must be between 0.1 and 2 seconds and at most half a segment, not {PartSeconds}");
        }

        if (!(DvrSeconds >= SkipUntilSeconds + SegmentSeconds) || DvrSeconds > 6 * 3600)
        {
            throw new ArgumentException($"--dvr must be at least {SkipUntilSeconds + SegmentSeconds} seconds (six target durations and a segment) and at most 6 hours, not {DvrSeconds}");
        }
    }
}
