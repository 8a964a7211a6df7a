using Edge.Load.Reporting;

namespace Edge.Load.Http;

/// <summary>
/// Fixed-rate or closed-loop HTTP load: one worker per connection, each reading whole responses, with a hard
/// stop after the duration that cancels whatever is still in flight.
/// </summary>
internal sealed class HttpLoadRunner(HttpLoadOptions options, TimeProvider time, HttpMessageHandler? handler = null)
{
    private const int BufferSize = 64 * 1024;
    private long _nextUrl = -1;
    private long _taken;

    public RunCounters Counters { get; } = new();

    public LatencyRecorder Latency { get; } = new();

    /// <summary>Creates the client side: keep-alive connections, no redirects, no decompression.</summary>
#pragma warning disable CA5359 // AcceptAnyCertificate is used only with --insecure.
    public static SocketsHttpHandler CreateHandler(int connections, bool insecure = false) => new()
    {
        // HTTP/2 workers each get a connection of their own, as players do, instead of sharing one.
        EnableMultipleHttp2Connections = true,
        SslOptions = insecure ? new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = AcceptAnyCertificate } : new(),
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = System.Threading.Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        AllowAutoRedirect = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        UseCookies = false,
        UseProxy = false,
    };
#pragma warning restore CA5359

    // Only with --insecure, which a user gives for a self-signed server on their own machine.
    private static bool AcceptAnyCertificate(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate, System.Security.Cryptography.X509Certificates.X509Chain? chain, System.Net.Security.SslPolicyErrors errors) => true;

    public async Task<HttpRunReport> RunAsync(CancellationToken cancellationToken)
    {
        using var client = new HttpClient(handler ?? CreateHandler(options.Connections, options.Insecure), disposeHandler: handler is null)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        using var deadline = new CancellationTokenSource(options.Duration, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var started = time.GetTimestamp();
        var schedule = options.Rate > 0 ? new RateSchedule(options.Rate, started, time) : null;
        var workers = new Task[options.Connections];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = WorkerAsync(client, schedule, new Random(options.Seed + i), stop.Token);
        }

        await Task.WhenAll(workers);
        var seconds = Math.Min(time.GetElapsedTime(started).TotalSeconds, options.Duration.TotalSeconds);
        var requests = Counters.Requests;
        var bytes = Counters.Bytes;
        return new HttpRunReport(
            schedule is null ? "closed-loop" : "fixed-rate",
            options.Connections,
            schedule?.Rate,
            Math.Round(seconds, 3),
            requests,
            bytes,
            seconds > 0 ? Math.Round(requests / seconds, 1) : 0,
            seconds > 0 ? Math.Round(bytes / seconds) : 0,
            Latency.Summarize(),
            Counters.StatusCodes,
            Counters.Errors,
            Counters.InFlightAtStop);
    }

    private async Task WorkerAsync(HttpClient client, RateSchedule? schedule, Random random, CancellationToken stop)
    {
        // Off the caller's thread at once: a worker never runs synchronously inside the loop that starts the others.
        await Task.Yield();
        var buffer = new byte[BufferSize];
        while (!stop.IsCancellationRequested)
        {
            long due;
            if (schedule is not null)
            {
                var ticket = schedule.Take();
                due = schedule.DueTimestamp(ticket);
                if (time.GetElapsedTime(schedule.DueTimestamp(0), due) >= options.Duration)
                {
                    // Due at or after the stop: not part of this run, whichever timer fires first.
                    return;
                }

                // Timers may fire a little early: a request never goes before its time.
                for (var wait = schedule.Until(ticket); wait > TimeSpan.Zero; wait = schedule.Until(ticket))
                {
                    try
                    {
                        await Task.Delay(wait, time, stop);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
            else
            {
                due = time.GetTimestamp();
            }

            if (options.MaxRequests > 0 && Interlocked.Increment(ref _taken) > options.MaxRequests)
            {
                return;
            }

            var url = options.Urls[options.Random
                ? random.Next(options.Urls.Count)
                : (int)(Interlocked.Increment(ref _nextUrl) % options.Urls.Count)];
            await SendAsync(client, url, due, buffer, stop);
        }
    }

    private async Task SendAsync(HttpClient client, Uri url, long due, byte[] buffer, CancellationToken stop)
    {
        using var timeout = new CancellationTokenSource(options.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (options.Http2)
            {
                request.Version = System.Net.HttpVersion.Version20;
                request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            }

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var bytes = await ResponseBody.DrainAsync(response, buffer, linked.Token);
            Latency.Record(time.GetElapsedTime(due));
            Counters.Completed((int)response.StatusCode, bytes);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Counters.StoppedInFlight();
        }
        catch (OperationCanceledException)
        {
            Counters.Error(ErrorKinds.Timeout);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            Counters.Error(ErrorKinds.Of(ex));
        }
    }
}
