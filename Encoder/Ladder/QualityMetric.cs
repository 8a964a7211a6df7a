using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Edge.Encoder.Ladder;

/// <summary>
/// A full-reference quality metric ffmpeg can compute: distorted first, reference second. Each instance writes its
/// per-frame results to its own file, so one ffmpeg can score several encodes against one decode of the source.
/// </summary>
public interface IQualityMetric
{
    /// <summary>Name written into the ladder report.</summary>
    string Name { get; }

    /// <summary>Score at which a rendition looks as good as the source to most viewers: the top rung's target.</summary>
    double Target { get; }

    /// <summary>The filter taking <c>[d]</c> (distorted, scaled to the source) and <c>[r]</c> (reference), writing <paramref name="statsFile"/>.</summary>
    string Filter(string statsFile);

    /// <summary>The score over every frame in <paramref name="statsFile"/>, or null when it holds none.</summary>
    double? Read(string statsFile);

    /// <summary>Reads the score from ffmpeg's log, or null when it is not there.</summary>
    double? Parse(IEnumerable<string> log);
}

/// <summary>
/// VMAF (libvmaf), the metric of choice when an ffmpeg has it. <paramref name="model"/> is a model file: a JSON one
/// for libvmaf 2 (<c>model=path=</c>), a <c>.pkl</c> one for libvmaf 1 (<c>model_path=</c>); null takes the
/// build's default. The score is the mean of the frames' scores, as libvmaf's own.
/// </summary>
internal sealed partial class VmafMetric(string? model = null) : IQualityMetric
{
    public string Name => "vmaf";

    public double Target => 93;

    public string Filter(string statsFile)
    {
        var options = new List<string>();
        if (model is not null)
        {
            options.Add(model.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? $"model=path={model}" : $"model_path={model}");
        }

        options.Add("log_fmt=json");
        options.Add($"log_path={statsFile}");
        return "[d][r]libvmaf=" + string.Join(':', options);
    }

    // libvmaf 1 and 2 both write frames[].metrics.vmaf.
    public double? Read(string statsFile)
    {
        if (!File.Exists(statsFile))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(statsFile));
            var scores = document.RootElement.GetProperty("frames").EnumerateArray()
                .Select(f => f.GetProperty("metrics").GetProperty("vmaf").GetDouble())
                .ToList();
            return scores.Count == 0 ? null : scores.Average();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    public double? Parse(IEnumerable<string> log) => QualityLog.Last(log, Score());

    // libvmaf 2 prints "VMAF score: 95.1"; libvmaf 1 (older ffmpeg) "VMAF score = 95.1".
    [GeneratedRegex(@"VMAF score\s*[:=]\s*([0-9.]+)")]
    private static partial Regex Score();
}

/// <summary>SSIM in decibels, -10·log10(1 - SSIM), so that equal steps mean equal visible differences.</summary>
internal sealed partial class SsimMetric : IQualityMetric
{
    public string Name => "ssim-db";

    /// <summary>SSIM 0.985.</summary>
    public double Target => 18.2;

    public string Filter(string statsFile) => $"[d][r]ssim=stats_file={statsFile}";

    // Each frame's line ends "All:0.981234 (17.25)"; ffmpeg's summary is the mean of All.
    public double? Read(string statsFile) =>
        QualityLog.Mean(statsFile, FrameScore()) is { } ssim ? QualityLog.Cap(-10 * Math.Log10(1 - ssim)) : null;

    public double? Parse(IEnumerable<string> log) => QualityLog.Last(log, Score());

    [GeneratedRegex(@"SSIM .*All:[0-9.]+ \(([0-9.]+|inf)\)")]
    private static partial Regex Score();

    [GeneratedRegex(@"All:([0-9.]+)")]
    private static partial Regex FrameScore();
}

/// <summary>PSNR (average over Y, U and V), in decibels.</summary>
internal sealed partial class PsnrMetric : IQualityMetric
{
    public string Name => "psnr";

    public double Target => 42;

    public string Filter(string statsFile) => $"[d][r]psnr=stats_file={statsFile}";

    // ffmpeg's summary takes the mean of the frames' squared error, then the decibels, for 8-bit samples.
    public double? Read(string statsFile) =>
        QualityLog.Mean(statsFile, FrameError()) is { } mse ? QualityLog.Cap(10 * Math.Log10(255.0 * 255.0 / mse)) : null;

    public double? Parse(IEnumerable<string> log) => QualityLog.Last(log, Score());

    [GeneratedRegex(@"PSNR .*average:([0-9.]+|inf)")]
    private static partial Regex Score();

    [GeneratedRegex(@"mse_avg:([0-9.]+)")]
    private static partial Regex FrameError();
}

internal static class QualityLog
{
    // Identical frames score infinity; cap it so that the hull stays finite.
    private const double Ceiling = 100;

    public static double Cap(double score) => double.IsNaN(score) ? Ceiling : Math.Min(Ceiling, score);

    public static double? Last(IEnumerable<string> log, Regex pattern)
    {
        double? score = null;
        foreach (var line in log)
        {
            var match = pattern.Match(line);
            if (match.Success)
            {
                var value = match.Groups[1].Value;
                score = value == "inf" ? Ceiling : Math.Min(Ceiling, double.Parse(value, CultureInfo.InvariantCulture));
            }
        }

        return score;
    }

    public static double? Mean(string statsFile, Regex pattern)
    {
        if (!File.Exists(statsFile))
        {
            return null;
        }

        var values = File.ReadLines(statsFile)
            .Select(line => pattern.Match(line))
            .Where(m => m.Success)
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToList();
        return values.Count == 0 ? null : values.Average();
    }
}
