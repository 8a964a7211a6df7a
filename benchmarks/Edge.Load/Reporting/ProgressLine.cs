using System.Globalization;

namespace Edge.Load.Reporting;

/// <summary>
/// A line a second while a run goes: elapsed, requests, rates, p99 and errors. On a terminal it redraws in place;
/// redirected, it prints one line per tick.
/// </summary>
internal sealed class ProgressLine(TextWriter output, bool redraw, TimeProvider time)
{
    public async Task RunAsync(TimeSpan duration, RunCounters counters, LatencyRecorder latency, CancellationToken stop)
    {
        var started = time.GetTimestamp();
        long lastRequests = 0, lastBytes = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var requests = counters.Requests;
                var bytes = counters.Bytes;
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"[{time.GetElapsedTime(started).TotalSeconds,5:0.0}s/{duration.TotalSeconds:0}s] {requests,12:N0} req  {requests - lastRequests,10:N0} req/s  {TextReport.Bytes(bytes - lastBytes),10}/s  p99 {latency.PercentileMs(99),8:0.000} ms  errors {counters.ErrorCount:N0}");
                (lastRequests, lastBytes) = (requests, bytes);
                if (redraw)
                {
                    output.Write("\r" + line);
                }
                else
                {
                    output.WriteLine(line);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        if (redraw)
        {
            output.WriteLine();
        }
    }
}
