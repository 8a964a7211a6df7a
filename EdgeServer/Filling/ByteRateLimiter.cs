namespace Edge.EdgeServer.Filling;

/// <summary>Paces fill traffic to a byte rate on an injected clock: each object waits until its bytes fit the budget.</summary>
internal sealed class ByteRateLimiter(long bytesPerSecond, TimeProvider time)
{
    private readonly Lock _sync = new();
    private DateTimeOffset _next = DateTimeOffset.MinValue;

    /// <summary>How long a caller that just moved <paramref name="bytes"/> must wait; zero without a limit.</summary>
    public TimeSpan Charge(long bytes)
    {
        if (bytesPerSecond <= 0)
        {
            return TimeSpan.Zero;
        }

        lock (_sync)
        {
            var now = time.GetUtcNow();
            var start = _next > now ? _next : now;
            _next = start + TimeSpan.FromSeconds((double)bytes / bytesPerSecond);
            return start - now;
        }
    }

    public Task WaitAsync(long bytes, CancellationToken cancellationToken)
    {
        var wait = Charge(bytes);
        return wait <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, time, cancellationToken);
    }
}
