using Edge.Encoder.Encoding;

namespace Edge.Encoder.Ladder;

/// <summary>
/// The Apple HLS authoring spec's H.264 ladder, cut at the source's resolution (never upscaled) and frame rate.
/// Renditions below 540p run at no more than 30 fps, as the spec's table says.
/// </summary>
internal sealed class AppleLadderPolicy : ILadderPolicy
{
    /// <summary>Lines, average kbit/s and whether the rung is limited to 30 fps.</summary>
    internal static readonly (int Height, int Kbps, bool Max30)[] Table =
    [
        (234, 145, true),
        (360, 365, true),
        (432, 730, true),
        (432, 1100, true),
        (540, 2000, false),
        (720, 3000, false),
        (720, 4500, false),
        (1080, 6000, false),
        (1080, 7800, false),
    ];

    public Task<LadderReport> BuildAsync(SourceInfo source, VideoCodec codec, CancellationToken cancellationToken) =>
        Task.FromResult(new LadderReport("default", null, Cut(source, codec)));

    internal static List<Rung> Cut(SourceInfo source, VideoCodec codec)
    {
        var rungs = new List<Rung>();
        foreach (var (height, kbps, max30) in Table)
        {
            if (height <= source.Height)
            {
                rungs.Add(RungFor(source, height, (long)(kbps * 1000 * codec.BitrateFactor), max30));
            }
        }

        if (rungs.Count == 0)
        {
            // Smaller than the smallest rung: one rendition at the source's own size.
            rungs.Add(RungFor(source, source.Height - (source.Height % 2), (long)(Table[0].Kbps * 1000 * codec.BitrateFactor), true));
        }

        return rungs;
    }

    internal static Rung RungFor(SourceInfo source, int height, long bitrate, bool max30)
    {
        var rate = max30 && source.FrameRate.Value > 30.5 ? source.FrameRate.Half() : source.FrameRate;
        return new Rung(source.WidthFor(height), height, bitrate, rate.ToString());
    }

    /// <summary>Whether the spec limits a rendition of this height to 30 fps.</summary>
    internal static bool IsMax30(int height) => height < 540;
}
