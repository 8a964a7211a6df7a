using Edge.Encoder.Encoding;

namespace Edge.Encoder.Ladder;

/// <summary>
/// The Apple HLS authoring spec's H.264 ladder, by pixel count: each rung keeps its pixels (and bits per pixel) at the
/// source's shape, so a portrait, 4:3 or cinemascope source gets the same sharpness per bit as a 16:9 one. Never
/// upscaled; rungs below 960x540's pixels run at no more than 30 fps, as the spec's table says.
/// </summary>
internal sealed class AppleLadderPolicy : ILadderPolicy
{
    /// <summary>Lines (at 16:9), average kbit/s and whether the rung is limited to 30 fps.</summary>
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

    // A rung up to this many times the source's pixels is still made, at the source's own size and a rate cut in
    // proportion: a 1278x718 source keeps its 720p rungs, a 1920x800 one its 1080p ones.
    private const double Reach = 1.4;

    public Task<LadderReport> BuildAsync(SourceInfo source, VideoCodec codec, CancellationToken cancellationToken) =>
        Task.FromResult(new LadderReport("default", null, Cut(source, codec)));

    internal static List<Rung> Cut(SourceInfo source, VideoCodec codec)
    {
        var rungs = new List<Rung>();
        var sourcePixels = (double)source.Width * source.Height;
        foreach (var (height, kbps, max30) in Table)
        {
            var pixels = (double)Even(height * 16.0 / 9) * height;
            if (pixels > sourcePixels * Reach)
            {
                continue;
            }

            var (w, h) = SizeFor(source, pixels);
            var bitrate = kbps * 1000 * codec.BitrateFactor * Math.Min(1, (double)w * h / pixels);
            rungs.Add(WithRate(source, w, h, (long)(Math.Round(bitrate / 1000) * 1000), max30));
        }

        if (rungs.Count == 0)
        {
            // Smaller than the smallest rung: one rendition at the source's own size.
            rungs.Add(WithRate(source, Even(source.Width), Even(source.Height), (long)(Table[0].Kbps * 1000 * codec.BitrateFactor), true));
        }

        return rungs;
    }

    /// <summary>The size with <paramref name="pixels"/> pixels at the source's shape, rounded to even, never larger than the source.</summary>
    internal static (int Width, int Height) SizeFor(SourceInfo source, double pixels)
    {
        var aspect = (double)source.Width / source.Height;
        var height = Even(Math.Sqrt(pixels / aspect));
        var width = Even(height * aspect);
        return width > source.Width || height > source.Height ? (Even(source.Width), Even(source.Height)) : (width, height);
    }

    internal static Rung RungFor(SourceInfo source, int height, long bitrate, bool max30) => WithRate(source, source.WidthFor(height), height, bitrate, max30);

    private static Rung WithRate(SourceInfo source, int width, int height, long bitrate, bool max30)
    {
        var full = source.FrameRate.AtMost60();
        var rate = max30 && full.Value > 30.5 ? full.Half() : full;
        return new Rung(width, height, bitrate, rate.ToString());
    }

    private static int Even(double value) => Math.Max(2, (int)Math.Round(value / 2) * 2);

    /// <summary>Whether the spec limits a rendition of this height to 30 fps.</summary>
    internal static bool IsMax30(int height) => height < 540;
}
