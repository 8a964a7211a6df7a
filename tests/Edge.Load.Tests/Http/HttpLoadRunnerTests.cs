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
    public async Task RunAsync_FixedRate_EachRequestArrivesExactlyWhenDueAndNoMore()
    {
        var time = new FakeTimeProvider(Start);
        var arrivals = Channel.CreateUnbounded<DateTimeOffset>();
        await using var target = await LoadTarget.StartAsync(context =>
        {
            arrivals.Writer.TryWrite(time.GetUtcNow());
            return context.Response.WriteAsync("ok");
        });
        var runner = new HttpLoadRunner(new HttpLoadOptions { Urls = [target.At("/x")], Connections = 4, Rate = 10, Duration = TimeSpan.FromMilliseconds(950) }, time);

        var run = runner.RunAsync(CancellationToken.None);
        for (var n = 0; n < 10; n++)
        {
            Assert.Equal(Start + (n * TimeSpan.FromMilliseconds(100)), await arrivals.Reader.ReadAsync().AsTask().WaitAsync(Bound));
            time.Advance(TimeSpan.FromMilliseconds(n < 9 ? 100 : 50));
        }

        var report = await run.WaitAsync(Bound);

        Assert.False(arrivals.Reader.TryRead(out _));
        Assert.Equal(10, report.Requests + report.InFlightAtStop);
        Assert.Equal("fixed-rate", report.Mode);
        Assert.Equal(10, report.TargetRate);
        Assert.Empty(report.Errors);
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
}
