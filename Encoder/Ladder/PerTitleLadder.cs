using System.Globalization;
using Edge.Encoder.Encoding;

namespace Edge.Encoder.Ladder;

/// <summary>Settings of per-title ladders. Defaults suit feature-length sources.</summary>
public sealed class PerTitleOptions
{
    /// <summary>Seconds of the source (from its middle) that trial encodes cover. Default 10.</summary>
    public double SampleSeconds { get; set; } = 10;

    /// <summary>Constant-quality settings of the trial encodes, on x264's CRF scale. Default 18 to 38 in steps of 5.</summary>
    public IReadOnlyList<int> Crfs { get; set; } = [18, 23, 28, 33, 38];

    /// <summary>Each rung costs this many times less than the one above. Default 1.8.</summary>
    public double Step { get; set; } = 1.8;

    /// <summary>No rung below this many bits/s: VBV needs room for a key frame. Default 64,000.</summary>
    public long MinBitrate { get; set; } = 64_000;

    /// <summary>At most this many rungs. Default 8.</summary>
    public int MaxRungs { get; set; } = 8;

    /// <summary>x264-style preset of the trial encodes. Default veryfast.</summary>
    public string Preset { get; set; } = "veryfast";
}

/// <summary>
/// Per-title ladders: trial-encode a sample of the source at each candidate resolution and several constant-quality
/// settings, score each against the source, build the rate-quality convex hull and take rungs along it.
/// </summary>
internal sealed class PerTitleLadderPolicy(FfmpegRunner ffmpeg, IQualityMetric metric, PerTitleOptions options, string workDirectory) : ILadderPolicy
{
    public async Task<LadderReport> BuildAsync(SourceInfo source, VideoCodec codec, CancellationToken cancellationToken)
    {
        var sample = Math.Min(options.SampleSeconds, source.DurationSeconds);
        var start = Math.Max(0, (source.DurationSeconds - sample) / 2);
        var heights = AppleLadderPolicy.Table.Select(r => r.Height).Distinct().Where(h => h <= source.Height).ToList();
        if (heights.Count == 0)
        {
            heights.Add(source.Height - (source.Height % 2));
        }

        Directory.CreateDirectory(workDirectory);
        var trials = new List<QualityPoint>();
        foreach (var height in heights)
        {
            trials.AddRange(await TrialAsync(source, codec, height, start, sample, cancellationToken));
        }

        var hull = ConvexHull.Build(trials);
        var fixedLadder = AppleLadderPolicy.Cut(source, codec);
        var chosen = ConvexHull.ChooseRungs(trials, metric.Target, fixedLadder.Max(r => r.Bitrate), options.MinBitrate, options.Step, options.MaxRungs);
        var rungs = chosen
            .Select(c => AppleLadderPolicy.RungFor(source, c.Height, RoundKbps(c.Bitrate), AppleLadderPolicy.IsMax30(c.Height)) with { PredictedQuality = Math.Round(c.Quality, 3) })
            .ToList();
        return new LadderReport("per-title", metric.Name, rungs)
        {
            Trials = trials,
            Hull = hull,
            SampleStartSeconds = Math.Round(start, 3),
            SampleSeconds = Math.Round(sample, 3),
        };
    }

    // One decode of the sample per resolution feeds every CRF; each result is then scored at the source's size.
    private async Task<List<QualityPoint>> TrialAsync(SourceInfo source, VideoCodec codec, int height, double start, double length, CancellationToken cancellationToken)
    {
        var width = source.WidthFor(height);
        var gop = (int)Math.Ceiling(source.FrameRate.Value * 2);
        var crfs = options.Crfs;
        var split = string.Join("", crfs.Select((_, i) => $"[t{i}]"));
        var outputs = crfs.Select((crf, i) => new FfmpegOutput(
            Path.Combine(workDirectory, $"trial-{height}p-crf{crf}.mp4"),
            [.. (i == 0 ? (string[])["-filter_complex", $"[0:v]scale={width}:{height}:flags=bicubic,setsar=1,split={crfs.Count}{split}"] : []),
                "-map", $"[t{i}]", .. codec.QualityArguments(crf, gop, options.Preset), "-an"])).ToList();
        await ffmpeg.RunAsync([(source.Path, SeekArguments(start, length))], outputs, null, cancellationToken);

        var points = new QualityPoint[crfs.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, crfs.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var trial = outputs[i].Path;
                var log = await ffmpeg.RunAsync(
                    [(trial, []), (source.Path, SeekArguments(start, length))],
                    [new FfmpegOutput("-", ["-lavfi", $"[0:v]scale={source.Width}:{source.Height}:flags=bicubic,setsar=1[d];[1:v]setsar=1[r];{metric.Filter}", "-f", "null"])],
                    null,
                    token);
                var quality = metric.Parse(log) ?? throw new EncoderException($"ffmpeg printed no {metric.Name} score for the trial encode {Path.GetFileName(trial)}; run with --metric ssim to analyse without {metric.Name}, or --ladder default to skip the analysis");
                var bitrate = (long)(new FileInfo(trial).Length * 8 / length);
                points[i] = new QualityPoint(width, height, crfs[i], bitrate, Math.Round(quality, 4));
            });
        return [.. points];
    }

    private static string[] SeekArguments(double start, double length) =>
        ["-ss", start.ToString("0.###", CultureInfo.InvariantCulture), "-t", length.ToString("0.###", CultureInfo.InvariantCulture)];

    private static long RoundKbps(long bitrate) => Math.Max(1, (bitrate + 500) / 1000) * 1000;
}
