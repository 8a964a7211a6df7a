namespace Edge.Load.Players;

/// <summary>
/// A throughput-based ABR as simple players use: an exponentially weighted average of segment download rates,
/// and the highest variant whose bandwidth fits under a safety share of it. Before any sample, the lowest.
/// </summary>
internal sealed class ThroughputAbr(double safety = 0.8, double weight = 0.3)
{
    public double? EstimateBitsPerSecond { get; private set; }

    public void Sample(long bytes, TimeSpan elapsed)
    {
        var seconds = Math.Max(elapsed.TotalSeconds, 0.001);
        var rate = bytes * 8 / seconds;
        EstimateBitsPerSecond = EstimateBitsPerSecond is { } previous ? (weight * rate) + ((1 - weight) * previous) : rate;
    }

    /// <summary>Index of the variant to fetch next, in <paramref name="bandwidths"/> sorted ascending.</summary>
    public int Choose(IReadOnlyList<long> bandwidths)
    {
        if (EstimateBitsPerSecond is not { } estimate)
        {
            return 0;
        }

        var chosen = 0;
        for (var i = 0; i < bandwidths.Count; i++)
        {
            if (bandwidths[i] <= safety * estimate)
            {
                chosen = i;
            }
        }

        return chosen;
    }
}
