namespace Edge.Load.Http;

/// <summary>
/// Open-loop pacing: request <c>n</c> is due at <c>start + n / rate</c>, whichever worker takes it. A request that
/// goes out late is timed from when it was due, so a slow server cannot hide its queueing (no coordinated omission).
/// </summary>
internal sealed class RateSchedule(double rate, long startTimestamp, TimeProvider time)
{
    private long _next = -1;

    public double Rate => rate;

    /// <summary>Takes the next request number.</summary>
    public long Take() => Interlocked.Increment(ref _next);

    /// <summary>When request <paramref name="ticket"/> is due, as a <see cref="TimeProvider"/> timestamp.</summary>
    public long DueTimestamp(long ticket) => startTimestamp + (long)Math.Ceiling(ticket * (double)time.TimestampFrequency / rate);

    /// <summary>How long until request <paramref name="ticket"/> is due; zero when it is already.</summary>
    public TimeSpan Until(long ticket)
    {
        var wait = DueTimestamp(ticket) - time.GetTimestamp();
        return wait <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)Math.Ceiling(wait * (double)TimeSpan.TicksPerSecond / time.TimestampFrequency));
    }
}
