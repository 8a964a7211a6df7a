using Edge.Load.Reporting;

namespace Edge.Load.Players;

/// <summary>Runs simulated viewers side by side until the hard stop, then sums up what they saw.</summary>
internal sealed class PlayerRunner(PlayerOptions options, TimeProvider time, HttpMessageHandler? handler = null)
{
    public RunCounters Counters { get; } = new();

    public LatencyRecorder SegmentLatency { get; } = new();

    public async Task<PlayersReport> RunAsync(CancellationToken cancellationToken)
    {
        using var client = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = true, UseCookies = false, UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: handler is null)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        using var deadline = new CancellationTokenSource(options.Duration, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var started = time.GetTimestamp();
        var sessions = new List<PlayerSession>();
        var runs = new List<Task<SessionReport>>();
        for (var viewer = 0; viewer < options.Viewers; viewer++)
        {
            var session = new PlayerSession(viewer, options, client, time, Counters);
            sessions.Add(session);
            var delay = options.Viewers > 1 ? options.Ramp * viewer / options.Viewers : TimeSpan.Zero;
            runs.Add(StartAsync(session, delay, stop.Token));
        }

        var reports = await Task.WhenAll(runs);
        foreach (var session in sessions)
        {
            SegmentLatency.Add(session.SegmentLatency);
        }

        var seconds = Math.Min(time.GetElapsedTime(started).TotalSeconds, options.Duration.TotalSeconds);
        var startup = new LatencyRecorder();
        foreach (var report in reports.Where(r => r.StartupMs is not null))
        {
            startup.Record(TimeSpan.FromMilliseconds(report.StartupMs!.Value));
        }

        var watched = reports.Sum(r => r.Segments);
        var stalled = reports.Sum(r => r.RebufferSeconds);
        var played = Math.Max(seconds * reports.Count(r => r.StartupMs is not null), 0.001);
        return new PlayersReport(
            options.Viewers,
            Math.Round(seconds, 3),
            Counters.Requests,
            Counters.Bytes,
            seconds > 0 ? Math.Round(Counters.Bytes / seconds) : 0,
            startup.Summarize(),
            SegmentLatency.Summarize(),
            reports.Sum(r => r.VideoSegments) is > 0 and var asked ? Math.Round((double)reports.Sum(r => r.VideoSegmentHits) / asked, 4) : 0,
            reports.Sum(r => r.Rebuffers),
            Math.Round(stalled / played, 4),
            watched > 0 ? Math.Round(reports.Where(r => r.Segments > 0).Average(r => r.AchievedKbps), 1) : 0,
            reports.Count(r => r.Failure is not null),
            Counters.Errors,
            reports);
    }

    private async Task<SessionReport> StartAsync(PlayerSession session, TimeSpan delay, CancellationToken stop)
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
                // The run ended before this viewer's turn: an empty session.
            }
        }

        return await session.RunAsync(stop);
    }
}
