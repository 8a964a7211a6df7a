using System.Globalization;
using Edge.Encoder.Encoding;

namespace Edge.Encoder.Ladder;

/// <summary>Settings of per-title ladders. Defaults suit feature-length sources.</summary>
public sealed class PerTitleOptions
{
    /// <summary>
    /// Seconds of the source (from its middle) that trial encodes cover, at most. Default 6: a tenth of a minute.
    /// Shorter titles get a tenth of their length (at least <see cref="MinSampleSeconds"/>), so the analysis stays a
    /// share of the encode whatever the title's length.
    /// </summary>
    public double SampleSeconds { get; set; } = 6;

    /// <summary>The shortest sample of a title longer than it: a key frame interval. Default 2.</summary>
    public double MinSampleSeconds { get; set; } = 2;

    /// <summary>Constant-quality settings of the trial encodes, on x264's CRF scale. Default 20 to 38 in steps of 6.</summary>
    public IReadOnlyList<int> Crfs { get; set; } = [20, 26, 32, 38];

    /// <summary>Each rung costs this many times less than the one above. Default 1.8.</summary>
    public double Step { get; set; } = 1.8;

    /// <summary>No rung below this many bits/s: VBV needs room for a key frame. Default 64,000.</summary>
    public long MinBitrate { get; set; } = 64_000;

    /// <summary>At most this many rungs. Default 8.</summary>
    public int MaxRungs { get; set; } = 8;

    /// <summary>
    /// x264-style preset of the trial encodes. Default superfast: it ranks resolutions as the real preset does, and
    /// its rates are a little high, so rungs chosen from it err on the side of quality.
    /// </summary>
    public string Preset { get; set; } = "superfast";
}

/// <summary>
/// Per-title ladders: trial-encode a sample of the source at each candidate resolution and several constant-quality
/// settings, score each against the source, build the rate-quality convex hull and take rungs along it.
/// </summary>
internal sealed class PerTitleLadderPolicy(FfmpegRunner ffmpeg, QualityScorer scorer, PerTitleOptions options, string workDirectory) : ILadderPolicy
{
    public async Task<LadderReport> BuildAsync(SourceInfo source, VideoCodec codec, CancellationToken cancellationToken)
    {
        var sample = SampleLength(source.DurationSeconds, options);
        var start = Math.Max(0, (source.DurationSeconds - sample) / 2);
        var heights = TrialHeights(source);
        if (heights.Count == 0)
        {
            heights.Add(source.Height - (source.Height % 2));
        }

        Directory.CreateDirectory(workDirectory);
        var trials = await TrialsAsync(source, codec, heights, start, sample, cancellationToken);

        var hull = ConvexHull.Build(trials);
        var fixedLadder = AppleLadderPolicy.Cut(source, codec);
        var chosen = ConvexHull.ChooseRungs(trials, scorer.Metric.Target, fixedLadder.Max(r => r.Bitrate), options.MinBitrate, options.Step, options.MaxRungs);
        var rungs = chosen
            .Select(c => AppleLadderPolicy.RungFor(source, c.Height, RoundKbps(c.Bitrate), AppleLadderPolicy.IsMax30(c.Height)) with
            {
                PredictedQuality = Math.Round(c.Quality, 3),
                Crf = Math.Round(ConvexHull.CrfAt(trials, c.Height, c.Bitrate), 1),
            })
            .ToList();
        return new LadderReport("per-title", scorer.Metric.Name, rungs)
        {
            Trials = trials,
            Hull = hull,
            SampleStartSeconds = Math.Round(start, 3),
            SampleSeconds = Math.Round(sample, 3),
        };
    }

    // One decode of the sample feeds every resolution and CRF, and (when scoring every nth frame) writes the frames
    // the trials are scored against; the trials are then scored at the source's size.
    private async Task<List<QualityPoint>> TrialsAsync(SourceInfo source, VideoCodec codec, List<int> heights, double start, double length, CancellationToken cancellationToken)
    {
        var gop = (int)Math.Ceiling(source.FrameRate.Value * 2);
        var crfs = options.Crfs;
        var planned = heights.SelectMany(h => crfs.Select(crf => (Height: h, Width: source.WidthFor(h), Crf: crf))).ToList();
        var picked = scorer.Subsample > 1;
        var pick = scorer.PickArguments(source.Width, source.Height);
        var graph = $"[0:v]split={heights.Count + (picked ? 1 : 0)}{string.Concat(heights.Select(h => $"[s{h}]"))}{(picked ? "[ref]" : "")}"
            + string.Concat(heights.Select(h => $";[s{h}]scale={source.WidthFor(h)}:{h}:flags=bicubic,setsar=1,split={crfs.Count}{string.Concat(crfs.Select(c => $"[t{h}_{c}]"))}"))
            + (picked ? $";[ref]{pick.Chain}[picked]" : "");
        var outputs = planned.Select((t, i) => new FfmpegOutput(
            Path.Combine(workDirectory, $"trial-{t.Height}p-crf{t.Crf}.mp4"),
            [.. (i == 0 ? (string[])["-filter_complex", graph] : []), "-map", $"[t{t.Height}_{t.Crf}]", .. codec.QualityArguments(t.Crf, gop, options.Preset), "-an"])).ToList();
        var reference = Path.Combine(workDirectory, "reference.y4m");
        await ffmpeg.RunAsync(
            [(source.Path, SeekArguments(start, length))],
            [.. outputs, .. picked ? [new FfmpegOutput(reference, ["-map", "[picked]", .. pick.Output])] : Array.Empty<FfmpegOutput>()],
            null,
            cancellationToken);

        var scores = await scorer.ScoreAllAsync(
            [.. outputs.Select(o => (o.Path, (IReadOnlyList<string>)[]))],
            picked ? (reference, []) : (source.Path, SeekArguments(start, length)),
            source.Width,
            source.Height,
            cancellationToken,
            referencePicked: picked);
        File.Delete(reference);
        return [.. planned.Select((t, i) => new QualityPoint(
            t.Width, t.Height, t.Crf, (long)(new FileInfo(outputs[i].Path).Length * 8 / length), Math.Round(scores[i][scorer.Metric.Name], 4)))];
    }

    /// <summary>The sample's length: a tenth of the title, from the minimum up to the maximum, never more than the title.</summary>
    internal static double SampleLength(double durationSeconds, PerTitleOptions options) =>
        Math.Min(durationSeconds, Math.Clamp(durationSeconds / 10, Math.Min(options.MinSampleSeconds, options.SampleSeconds), options.SampleSeconds));

    /// <summary>
    /// The ladder table's heights up to the source's, each at least 1.25 times the one below (432p is dropped beside
    /// 360p and 540p): neighbours that close trace the same curve, and each trial costs a metric run.
    /// </summary>
    internal static List<int> TrialHeights(SourceInfo source)
    {
        var heights = new List<int>();
        foreach (var height in AppleLadderPolicy.Table.Select(r => r.Height).Distinct().Where(h => h <= source.Height).Order())
        {
            if (heights.Count == 0 || height >= heights[^1] * 1.25)
            {
                heights.Add(height);
            }
        }

        return heights;
    }

    private static string[] SeekArguments(double start, double length) =>
        ["-ss", start.ToString("0.###", CultureInfo.InvariantCulture), "-t", length.ToString("0.###", CultureInfo.InvariantCulture)];

    private static long RoundKbps(long bitrate) => Math.Max(1, (bitrate + 500) / 1000) * 1000;
}
