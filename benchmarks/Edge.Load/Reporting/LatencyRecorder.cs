using HdrHistogram;

namespace Edge.Load.Reporting;

/// <summary>Latency percentiles of one run, in milliseconds.</summary>
internal sealed record LatencySummary(long Count, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs)
{
    public static readonly LatencySummary Empty = new(0, 0, 0, 0, 0, 0, 0);
}

/// <summary>
/// Records latencies in microseconds into an HDR histogram (3 significant digits, up to one hour), so every
/// percentile is within 0.1% of the true value whatever the spread. Safe to record from many workers.
/// </summary>
internal sealed class LatencyRecorder
{
    private const long Highest = 3_600_000_000;
    private readonly Lock _sync = new();
    private readonly LongHistogram _histogram = new(Highest, 3);

    public long Count
    {
        get
        {
            lock (_sync)
            {
                return _histogram.TotalCount;
            }
        }
    }

    public void Record(TimeSpan latency)
    {
        var micros = Math.Clamp((long)latency.TotalMicroseconds, 1, Highest);
        lock (_sync)
        {
            _histogram.RecordValue(micros);
        }
    }

    /// <summary>Adds everything another recorder holds (per-session recorders into a run's).</summary>
    public void Add(LatencyRecorder other)
    {
        HistogramBase copy;
        lock (other._sync)
        {
            copy = other._histogram.Copy();
        }

        lock (_sync)
        {
            _histogram.Add(copy);
        }
    }

    public double PercentileMs(double percentile)
    {
        lock (_sync)
        {
            return _histogram.TotalCount == 0 ? 0 : _histogram.GetValueAtPercentile(percentile) / 1000.0;
        }
    }

    public LatencySummary Summarize()
    {
        lock (_sync)
        {
            var h = _histogram;
            return h.TotalCount == 0
                ? LatencySummary.Empty
                : new LatencySummary(
                    h.TotalCount,
                    Math.Round(h.GetMean() / 1000.0, 3),
                    h.GetValueAtPercentile(50) / 1000.0,
                    h.GetValueAtPercentile(90) / 1000.0,
                    h.GetValueAtPercentile(99) / 1000.0,
                    h.GetValueAtPercentile(99.9) / 1000.0,
                    h.GetMaxValue() / 1000.0);
        }
    }
}
