namespace Edge.Encoder.Ladder;

/// <summary>
/// Bjøntegaard delta rate: how much more (positive) or less (negative) rate one rate-quality curve needs than
/// another for the same quality, averaged over the qualities both reach. Each curve is its efficient points
/// (dearer ones must look better), with log rate interpolated piecewise-linearly in quality: a ladder has few
/// rungs, and a cubic fit through four or five of them swings between them.
/// </summary>
public static class BdRate
{
    /// <summary>
    /// The candidate's rate change against the baseline (-0.2 is 20% less rate), or null when the curves share no
    /// quality range. A candidate of one point is compared at its own quality.
    /// </summary>
    public static double? Of(IEnumerable<(double Bitrate, double Quality)> baseline, IEnumerable<(double Bitrate, double Quality)> candidate)
    {
        var a = Efficient(baseline);
        var b = Efficient(candidate);
        if (a.Count < 2 || b.Count == 0)
        {
            return null;
        }

        // A one-rung ladder (a slide show) is a point: its rate against what the baseline needs for its quality.
        if (b.Count == 1)
        {
            return b[0].Quality >= a[0].Quality && b[0].Quality <= a[^1].Quality ? (b[0].Bitrate / Math.Exp(LogRate(a, b[0].Quality))) - 1 : null;
        }

        var low = Math.Max(a[0].Quality, b[0].Quality);
        var high = Math.Min(a[^1].Quality, b[^1].Quality);
        if (!(high > low))
        {
            return null;
        }

        const int Steps = 1000;
        var sum = 0.0;
        for (var i = 0; i <= Steps; i++)
        {
            var q = low + ((high - low) * i / Steps);
            var weight = i is 0 or Steps ? 0.5 : 1.0;
            sum += weight * (LogRate(b, q) - LogRate(a, q));
        }

        return Math.Exp(sum / Steps) - 1;
    }

    // Sorted by rate; a point that costs more without looking better is dropped.
    private static List<(double Bitrate, double Quality)> Efficient(IEnumerable<(double Bitrate, double Quality)> points)
    {
        var result = new List<(double Bitrate, double Quality)>();
        foreach (var point in points.Where(p => p.Bitrate > 0 && double.IsFinite(p.Quality)).OrderBy(p => p.Bitrate).ThenByDescending(p => p.Quality))
        {
            if (result.Count == 0 || point.Quality > result[^1].Quality)
            {
                result.Add(point);
            }
        }

        return result;
    }

    private static double LogRate(List<(double Bitrate, double Quality)> curve, double quality)
    {
        var i = 1;
        while (i < curve.Count - 1 && curve[i].Quality < quality)
        {
            i++;
        }

        var (p, q) = (curve[i - 1], curve[i]);
        var t = (quality - p.Quality) / (q.Quality - p.Quality);
        return Math.Log(p.Bitrate) + (t * (Math.Log(q.Bitrate) - Math.Log(p.Bitrate)));
    }
}
