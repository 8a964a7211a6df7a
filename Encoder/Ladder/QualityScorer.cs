using System.Globalization;
using Edge.Encoder.Encoding;

namespace Edge.Encoder.Ladder;

/// <summary>Where VMAF comes from when the encoding ffmpeg has no libvmaf. Defaults: none.</summary>
public sealed class VmafOptions
{
    /// <summary>An ffmpeg built with libvmaf, used only to measure (<c>--vmaf-ffmpeg</c>, <c>VMAF_FFMPEG</c>).</summary>
    public string? Ffmpeg { get; set; }

    /// <summary>The model file libvmaf loads (<c>--vmaf-model</c>, <c>VMAF_MODEL</c>); null: the build's default.</summary>
    public string? Model { get; set; }

    /// <summary>
    /// Score every nth frame of per-title trials. Default 30: one frame a second, 6 of a 6 s sample. A full-HD
    /// VMAF frame costs far more than its decode, and the scores move little (0.3 points on a 1080p test).
    /// </summary>
    public int Subsample { get; set; } = 30;
}

/// <summary>
/// Scores encodes against their source with full-reference metrics, on the ffmpeg that has them: each encode is
/// scaled to the source's size (as a player shows it) and both sides are converted to 8-bit 4:2:0. Every
/// <paramref name="subsample"/>th frame is scored, picked before the scaling so the others cost only their decode.
/// </summary>
public sealed class QualityScorer(FfmpegRunner ffmpeg, IReadOnlyList<IQualityMetric> metrics, int subsample = 1)
{
    public QualityScorer(FfmpegRunner ffmpeg, IQualityMetric metric, int subsample = 1)
        : this(ffmpeg, [metric], subsample)
    {
    }

    /// <summary>The first metric: the one a per-title ladder optimises.</summary>
    public IQualityMetric Metric => metrics[0];

    public IReadOnlyList<IQualityMetric> Metrics => metrics;

    /// <summary>Every how many frames one is scored.</summary>
    public int Subsample => subsample;

    /// <summary>Every metric's score of <paramref name="distorted"/> against <paramref name="reference"/>.</summary>
    public async Task<IReadOnlyDictionary<string, double>> ScoreAsync(
        (string Path, IReadOnlyList<string> Arguments) distorted,
        (string Path, IReadOnlyList<string> Arguments) reference,
        int width,
        int height,
        CancellationToken cancellationToken) =>
        (await ScoreAllAsync([distorted], reference, width, height, cancellationToken))[0];

    /// <summary>
    /// Every metric's score of each of <paramref name="distorted"/>, in order, with one ffmpeg per core at a time.
    /// An ffmpeg decodes the reference once for all the encodes it scores, except with VMAF: libvmaf 1 corrupts its
    /// heap when one process runs two instances, so each encode gets its own. With <paramref name="referencePicked"/>
    /// the reference holds only the frames to score (every <see cref="Subsample"/>th, at the source's size, made once
    /// by <see cref="PickArguments"/>), so no scoring ffmpeg seeks into and decodes the source again.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, double>>> ScoreAllAsync(
        IReadOnlyList<(string Path, IReadOnlyList<string> Arguments)> distorted,
        (string Path, IReadOnlyList<string> Arguments) reference,
        int width,
        int height,
        CancellationToken cancellationToken,
        bool referencePicked = false)
    {
        var processes = metrics.Any(m => m is VmafMetric) ? distorted.Count : Math.Clamp(Environment.ProcessorCount, 1, Math.Max(1, distorted.Count));
        var groups = Enumerable.Range(0, distorted.Count).GroupBy(i => i % processes).Select(g => g.ToList()).ToList();
        var results = new IReadOnlyDictionary<string, double>[distorted.Count];
        await Parallel.ForEachAsync(
            groups,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (group, token) =>
            {
                var scores = await RunAsync([.. group.Select(i => distorted[i])], reference, width, height, referencePicked, token);
                for (var j = 0; j < group.Count; j++)
                {
                    results[group[j]] = scores[j];
                }
            });
        return results;
    }

    private async Task<List<Dictionary<string, double>>> RunAsync(
        IReadOnlyList<(string Path, IReadOnlyList<string> Arguments)> distorted,
        (string Path, IReadOnlyList<string> Arguments) reference,
        int width,
        int height,
        bool referencePicked,
        CancellationToken cancellationToken)
    {
        var work = Path.Combine(Path.GetTempPath(), "edge-scores-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            // A picked reference's frames are numbered afresh, so both sides are: frame N at N seconds.
            var pick = Pick + (referencePicked ? Renumber : "");
            var (k, m) = (distorted.Count, metrics.Count);
            var chains = new List<string>
            {
                $"[{k}:v]{(referencePicked ? Renumber : pick)}setsar=1,format=yuv420p,split={k * m}{string.Concat(Pairs(k, m).Select(p => $"[r{p.I}_{p.M}]"))}",
            };
            for (var i = 0; i < k; i++)
            {
                chains.Add($"[{i}:v]{pick}scale={width}:{height}:flags=bicubic,setsar=1,format=yuv420p,split={m}{string.Concat(Enumerable.Range(0, m).Select(j => $"[d{i}_{j}]"))}");
            }

            foreach (var (i, j) in Pairs(k, m))
            {
                chains.Add(metrics[j].Filter(StatsFile(work, i, j)).Replace("[d][r]", $"[d{i}_{j}][r{i}_{j}]", StringComparison.Ordinal));
            }

            await ffmpeg.RunAsync([.. distorted, reference], [new FfmpegOutput("-", ["-lavfi", string.Join(';', chains), "-f", "null"])], null, cancellationToken);
            var scores = new List<Dictionary<string, double>>();
            for (var i = 0; i < k; i++)
            {
                var scored = new Dictionary<string, double>(StringComparer.Ordinal);
                for (var j = 0; j < m; j++)
                {
                    scored[metrics[j].Name] = metrics[j].Read(StatsFile(work, i, j))
                        ?? throw new EncoderException($"ffmpeg wrote no {metrics[j].Name} score for {Path.GetFileName(distorted[i].Path)}; run with --metric ssim to analyse without {metrics[j].Name}, or --ladder default to skip the analysis");
                }

                scores.Add(scored);
            }

            return scores;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// The filter chain and output arguments that write a decode's frames to score (every <see cref="Subsample"/>th,
    /// at <paramref name="width"/>x<paramref name="height"/> in 8-bit 4:2:0) as an uncompressed Y4M file, for
    /// <see cref="ScoreAllAsync"/> with a picked reference. The picked frames follow each other at the frame rate, so
    /// the file holds each once (no frame is repeated to fill the gaps).
    /// </summary>
    public (string Chain, string[] Output) PickArguments(int width, int height) =>
        ($"{Pick}setpts=N/FRAME_RATE/TB,scale={width}:{height}:flags=bicubic,setsar=1,format=yuv420p", ["-f", "yuv4mpegpipe"]);

    private string Pick => subsample > 1 ? $"select='not(mod(n,{subsample.ToString(CultureInfo.InvariantCulture)}))'," : "";

    private const string Renumber = "setpts=N/TB,";

    private static IEnumerable<(int I, int M)> Pairs(int k, int m) =>
        Enumerable.Range(0, k).SelectMany(i => Enumerable.Range(0, m).Select(j => (i, j)));

    private static string StatsFile(string work, int i, int j) => Path.Combine(work, $"{i}-{j}.log");
}
