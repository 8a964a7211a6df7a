using System.Globalization;
using System.Text.RegularExpressions;

namespace Edge.Encoder.Ladder;

/// <summary>A full-reference quality metric ffmpeg can compute: distorted first, reference second.</summary>
public interface IQualityMetric
{
    /// <summary>Name written into the ladder report.</summary>
    string Name { get; }

    /// <summary>Score at which a rendition looks as good as the source to most viewers: the top rung's target.</summary>
    double Target { get; }

    /// <summary>The filter taking <c>[d]</c> (distorted, scaled to the source) and <c>[r]</c> (reference).</summary>
    string Filter { get; }

    /// <summary>Reads the score from ffmpeg's log, or null when it is not there.</summary>
    double? Parse(IEnumerable<string> log);
}

/// <summary>VMAF (libvmaf), the metric of choice when ffmpeg has it.</summary>
internal sealed partial class VmafMetric : IQualityMetric
{
    public string Name => "vmaf";

    public double Target => 93;

    public string Filter => "[d][r]libvmaf";

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

    public string Filter => "[d][r]ssim";

    public double? Parse(IEnumerable<string> log) => QualityLog.Last(log, Score());

    [GeneratedRegex(@"SSIM .*All:[0-9.]+ \(([0-9.]+|inf)\)")]
    private static partial Regex Score();
}

/// <summary>PSNR (average over Y, U and V), in decibels.</summary>
internal sealed partial class PsnrMetric : IQualityMetric
{
    public string Name => "psnr";

    public double Target => 42;

    public string Filter => "[d][r]psnr";

    public double? Parse(IEnumerable<string> log) => QualityLog.Last(log, Score());

    [GeneratedRegex(@"PSNR .*average:([0-9.]+|inf)")]
    private static partial Regex Score();
}

internal static class QualityLog
{
    // Identical frames score infinity; cap it so that the hull stays finite.
    private const double Ceiling = 100;

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
}
