using Edge.Load.Reporting;

namespace Edge.Load.Live;

/// <summary>Runs low-latency viewers side by side until the hard stop, then sums up what they saw.</summary>
internal sealed class LiveRunner(LiveOptions options, TimeProvider time, HttpMessageHandler? handler = null)
{
    public RunCounters Counters { get; } = new();

    public LatencyRecorder PartFetches { get; } = new();

    public async Task<LiveReport> RunAsync(CancellationToken cancellationToken)
    {
        using var client = new HttpClient(handler ?? new SocketsHttpHandler { UseCookies = false, UseProxy = false, MaxConnectionsPerServer = 4 * options.Viewers }, disposeHandler: handler is null)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        using var deadline = new CancellationTokenSource(options.Duration, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var started = time.GetTimestamp();
        var viewers = Enumerable.Range(0, options.Viewers).Select(_ => new LiveViewer(options, client, time, Counters)).ToList();
        await Task.WhenAll(viewers.Select((viewer, i) => StartAsync(viewer, options.Viewers > 1 ? options.Ramp * i / options.Viewers : TimeSpan.Zero, stop.Token)));

        var reloads = new LatencyRecorder();
        var behind = new LatencyRecorder();
        foreach (var viewer in viewers)
        {
            reloads.Add(viewer.Reloads);
            PartFetches.Add(viewer.PartFetches);
            behind.Add(viewer.BehindLive);
        }

        return new LiveReport(
            options.Viewers,
            Math.Round(Math.Min(time.GetElapsedTime(started).TotalSeconds, options.Duration.TotalSeconds), 3),
            Counters.Requests,
            Counters.Bytes,
            reloads.Summarize(),
            PartFetches.Summarize(),
            behind.Summarize(),
            viewers.Count(v => v.Failure is not null),
            Counters.StatusCodes,
            Counters.Errors);
    }

    private async Task StartAsync(LiveViewer viewer, TimeSpan delay, CancellationToken stop)
    {
        await Task.Yield();
        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, time, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        await viewer.RunAsync(stop);
    }
}
