using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Edge.Load.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Load.Tests.Http;

/// <summary>The runner against a real Kestrel target on loopback, on a fake clock that the test moves.</summary>
public sealed class HttpLoadRunnerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task RunAsync_FixedRateOneConnection_EachRequestExactlyWhenDueAndNoneAfterTheStop()
    {
        var time = new SignallingTime(Start);
        var arrivals = Channel.CreateUnbounded<DateTimeOffset>();
        await using var target = await LoadTarget.StartAsync(context =>
        {
            arrivals.Writer.TryWrite(time.GetUtcNow());
            return context.Response.WriteAsync("ok");
        });
        var runner = new HttpLoadRunner(new HttpLoadOptions { Urls = [target.At("/x")], Connections = 1, Rate = 10, Duration = TimeSpan.FromMilliseconds(950) }, time);

        var run = runner.RunAsync(CancellationToken.None);
        for (var n = 0; n < 10; n++)
        {
            Assert.Equal(Start + (n * TimeSpan.FromMilliseconds(100)), await arrivals.Reader.ReadAsync().AsTask().WaitAsync(Bound));
            if (n < 9)
            {
                // The worker is waiting for the next request's time before the clock moves to it.
                Assert.Equal(TimeSpan.FromMilliseconds(100), await time.Delays.Reader.ReadAsync().AsTask().WaitAsync(Bound));
                time.Advance(TimeSpan.FromMilliseconds(100));
            }
        }

        // The next request would be due at 1 s, past the stop: the worker ends without waiting for the clock.
        var report = await run.WaitAsync(Bound);

        Assert.False(arrivals.Reader.TryRead(out _));
        Assert.Equal(10, report.Requests);
        Assert.Equal(0, report.InFlightAtStop);
        Assert.Equal(10, report.Latency.Count);
        Assert.Empty(report.Errors);
    }

    [Fact]
    public async Task RunAsync_FixedRate_NoRequestBeforeItsTimeAndNoneBeyondTheSchedule()
    {
        // Real time: one second at 100 requests/s. Exact due times are RateScheduleTests' job.
        var arrivals = new System.Collections.Concurrent.ConcurrentQueue<long>();
        await using var target = await LoadTarget.StartAsync(context =>
        {
            arrivals.Enqueue(TimeProvider.System.GetTimestamp());
            return context.Response.WriteAsync("ok");
        });
        // Connections opened and code paths run once before the clock starts.
        using var handler = HttpLoadRunner.CreateHandler(4);
        using (var warm = new HttpClient(handler, disposeHandler: false))
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => warm.GetStringAsync(target.At("/warm"))));
        }

        arrivals.Clear();
        var runner = new HttpLoadRunner(new HttpLoadOptions { Urls = [target.At("/x")], Connections = 4, Rate = 100, Duration = TimeSpan.FromSeconds(1) }, TimeProvider.System, handler);

        var started = TimeProvider.System.GetTimestamp();
        var report = await runner.RunAsync(CancellationToken.None).WaitAsync(Bound);

        var times = arrivals.Order().ToList();
        // Never more than the schedule holds; how many fewer depends on how busy this machine is.
        Assert.InRange(times.Count, 1, 100);
        for (var n = 0; n < times.Count; n++)
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started, times[n]) >= TimeSpan.FromMilliseconds(10 * n) - TimeSpan.FromMilliseconds(2), $"request {n} came early");
        }

        Assert.InRange(times.Count, report.Requests, report.Requests + report.InFlightAtStop);
        Assert.Equal("fixed-rate", report.Mode);
        Assert.Equal(100, report.TargetRate);
    }

    [Fact]
    public async Task RunAsync_Http2Insecure_EveryRequestHttp2OverTlsToASelfSignedServer()
    {
        var protocols = new System.Collections.Concurrent.ConcurrentBag<string>();
        await using var target = await LoadTarget.StartTlsAsync(context =>
        {
            protocols.Add(context.Request.Protocol);
            return context.Response.WriteAsync("ok");
        });
        Assert.StartsWith("https://", target.Url, StringComparison.Ordinal);

        var runner = new HttpLoadRunner(new HttpLoadOptions { Urls = [target.At("/x")], Connections = 2, MaxRequests = 20, Duration = TimeSpan.FromSeconds(30), Http2 = true, Insecure = true }, TimeProvider.System);
        var report = await runner.RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.Empty(report.Errors);
        Assert.Equal(20, report.Requests);
        Assert.Equal(20, protocols.Count);
        Assert.All(protocols, p => Assert.Equal("HTTP/2", p));
    }

    [Fact]
    public async Task RunAsync_SelfSignedServerWithoutInsecure_EveryRequestFails()
    {
        await using var target = await LoadTarget.StartTlsAsync(context => context.Response.WriteAsync("ok"));

        var runner = new HttpLoadRunner(new HttpLoadOptions { Urls = [target.At("/x")], Connections = 1, MaxRequests = 3, Duration = TimeSpan.FromSeconds(30) }, TimeProvider.System);
        var report = await runner.RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(0, report.Requests);
        Assert.Equal(3, report.Errors.Values.Sum());
    }

    [Fact]
    public async Task RunAsync_ClosedLoop_StatusCodesBytesAndErrorsCounted()
    {
        var time = new FakeTimeProvider(Start);
        var served = 0;
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = await LoadTarget.StartAsync(async context =>
        {
            if (Interlocked.Increment(ref served) == 40)
            {
                enough.TrySetResult();
            }

            if (context.Request.Path == "/missing")
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsync("not found!");
                return;
            }

            await context.Response.Body.WriteAsync(new byte[1000]);
        });
        var runner = new HttpLoadRunner(new HttpLoadOptions { Urls = [target.At("/ok"), target.At("/missing")], Connections = 2, Duration = TimeSpan.FromSeconds(5) }, time);

        var run = runner.RunAsync(CancellationToken.None);
        await enough.Task.WaitAsync(Bound);
        time.Advance(TimeSpan.FromSeconds(5));
        var report = await run.WaitAsync(Bound);

        var ok = report.StatusCodes["200"];
        var missing = report.StatusCodes["404"];
        Assert.Equal(report.Requests, ok + missing);
        Assert.InRange(ok - missing, -2, 2);
        Assert.Equal((ok * 1000) + (missing * 10), report.Bytes);
        Assert.Equal(missing, report.Errors["http_404"]);
        Assert.Equal(report.Requests, report.Latency.Count);
        Assert.Equal("closed-loop", report.Mode);
        Assert.Equal(5, report.Seconds);
    }

    [Fact]
    public async Task RunAsync_ServerNeverAnswers_HardStopEndsTheRunAndCountsWhatWasInFlight()
    {
        var time = new FakeTimeProvider(Start);
        var arrived = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = await LoadTarget.StartAsync(async context =>
        {
            if (Interlocked.Increment(ref arrived) == 3)
            {
                all.TrySetResult();
            }

            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        var runner = new HttpLoadRunner(new HttpLoadOptions { Urls = [target.At("/hang")], Connections = 3, Duration = TimeSpan.FromSeconds(5) }, time);

        var run = runner.RunAsync(CancellationToken.None);
        await all.Task.WaitAsync(Bound);
        time.Advance(TimeSpan.FromSeconds(5));
        var report = await run.WaitAsync(Bound);

        Assert.Equal(0, report.Requests);
        Assert.Equal(3, report.InFlightAtStop);
        Assert.Empty(report.Errors);
    }

    [Fact]
    public async Task RunAsync_RequestSlowerThanTimeout_CountedAsTimeoutAndTheWorkerGoesOn()
    {
        var time = new FakeTimeProvider(Start);
        var arrivals = Channel.CreateUnbounded<int>();
        var count = 0;
        await using var target = await LoadTarget.StartAsync(async context =>
        {
            arrivals.Writer.TryWrite(Interlocked.Increment(ref count));
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        var runner = new HttpLoadRunner(new HttpLoadOptions { Urls = [target.At("/slow")], Connections = 1, Duration = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromSeconds(1) }, time);

        var run = runner.RunAsync(CancellationToken.None);
        Assert.Equal(1, await arrivals.Reader.ReadAsync().AsTask().WaitAsync(Bound));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, await arrivals.Reader.ReadAsync().AsTask().WaitAsync(Bound));
        time.Advance(TimeSpan.FromSeconds(9));
        var report = await run.WaitAsync(Bound);

        Assert.Equal(1, report.Errors[ErrorKinds.Timeout]);
        Assert.Equal(1, report.InFlightAtStop);
    }

    [Fact]
    public async Task RunAsync_MaxRequests_StopsAfterExactlyThatManyBeforeTheDuration()
    {
        var served = 0;
        await using var target = await LoadTarget.StartAsync(context =>
        {
            Interlocked.Increment(ref served);
            return context.Response.WriteAsync("ok");
        });
        var runner = new HttpLoadRunner(new HttpLoadOptions { Urls = [target.At("/a"), target.At("/b")], Connections = 8, MaxRequests = 100, Duration = TimeSpan.FromHours(1) }, new FakeTimeProvider(Start));

        var report = await runner.RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(100, report.Requests);
        Assert.Equal(100, served);
        Assert.Equal(0, report.InFlightAtStop);
    }

    [Fact]
    public async Task Of_ConnectionRefused_NamedConnectRefused()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        using var client = new HttpClient();
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://127.0.0.1:{port}/"));

        Assert.Equal("connect_refused", ErrorKinds.Of(error));
    }

    /// <summary>A fake clock that reports each short timer (a worker waiting for its request's time) as it is set.</summary>
    private sealed class SignallingTime(DateTimeOffset start) : FakeTimeProvider(start)
    {
        public Channel<TimeSpan> Delays { get; } = Channel.CreateUnbounded<TimeSpan>();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            if (dueTime > TimeSpan.Zero && dueTime <= TimeSpan.FromMilliseconds(100))
            {
                Delays.Writer.TryWrite(dueTime);
            }

            return timer;
        }
    }
}
