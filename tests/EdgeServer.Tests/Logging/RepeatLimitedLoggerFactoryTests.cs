#pragma warning disable CA1848, CA1873 // These tests call the logger directly, as third-party code does.

using System.Collections.Concurrent;
using System.Net;
using Edge.Contracts.Logging;
using Edge.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Edge.EdgeServer.Tests.Logging;

/// <summary>Repeated log events are written a bounded number of times per window and summed up after it.</summary>
public sealed class RepeatLimitedLoggerFactoryTests
{
    [Fact]
    public void Log_FloodOfOneEvent_WrittenUpToTheLimitThenSummedUp()
    {
        var time = new FakeTimeProvider();
        var capture = new CaptureProvider();
        using var inner = new LoggerFactory([capture]);
        using var factory = new RepeatLimitedLoggerFactory(inner, new RepeatLimitOptions { EventsPerWindow = 5, Window = TimeSpan.FromMinutes(1) }, time);
        var logger = factory.CreateLogger("Test.Flood");

        for (var i = 0; i < 100; i++)
        {
            logger.Log(LogLevel.Critical, new EventId(7, "Reset"), "stream reset {N}", i);
        }

        logger.LogWarning(new EventId(8), "another kind");
        logger.LogDebug(new EventId(9), "debug is not limited");
        Assert.Equal(5, capture.Lines.Count(l => l.EventId == 7));
        Assert.Single(capture.Lines, l => l.EventId == 8);
        Assert.Equal(95, factory.Suppressed);

        time.Advance(TimeSpan.FromMinutes(1));
        logger.Log(LogLevel.Critical, new EventId(7, "Reset"), "stream reset {N}", 100);

        var summary = Assert.Single(capture.Lines, l => l.Message.Contains("were not written", StringComparison.Ordinal));
        Assert.Contains("95 more events like Reset", summary.Message, StringComparison.Ordinal);
        Assert.Equal(LogLevel.Critical, summary.Level);
        Assert.Equal(6, capture.Lines.Count(l => l.EventId == 7 && !l.Message.Contains("were not written", StringComparison.Ordinal)));
    }

    [Fact]
    public void Log_UnnamedEventsWithDifferentMessages_LimitedApart()
    {
        var capture = new CaptureProvider();
        using var inner = new LoggerFactory([capture]);
        using var factory = new RepeatLimitedLoggerFactory(inner, new RepeatLimitOptions { EventsPerWindow = 2 }, new FakeTimeProvider());
        var logger = factory.CreateLogger("Test.Unnamed");

        for (var i = 0; i < 10; i++)
        {
            logger.LogWarning("first {I}", i);
            logger.LogWarning("second {I}", i);
        }

        Assert.Equal(2, capture.Lines.Count(l => l.Message.StartsWith("first", StringComparison.Ordinal)));
        Assert.Equal(2, capture.Lines.Count(l => l.Message.StartsWith("second", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Get_FloodWhileTheOriginIsDown_LogWritesABoundedNumberOfLines()
    {
        using var cache = new TempDirectory();
        var capture = new CaptureProvider();
        // A port bound and never listened on refuses every connection, and nothing else can take it meanwhile;
        // with the node's clock frozen, a port some other test started listening on would hang the fill.
        using var refusing = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        refusing.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var deadOrigin = $"http://127.0.0.1:{((System.Net.IPEndPoint)refusing.LocalEndPoint!).Port}";
        // The node's clock stands still, so all the requests fall in one window.
        await using var edge = await EdgeHost.StartAsync(deadOrigin, cache.Path, new FakeTimeProvider(), s => s.AddSingleton<ILoggerProvider>(capture), null, "edge-log");

        for (var i = 0; i < 60; i++)
        {
            using var response = await edge.Client.GetAsync($"/t/seg{i}.m4s");
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }

        var unreachable = capture.Lines.Count(l => l.Category.EndsWith("FillCoordinator", StringComparison.Ordinal) && l.EventId == 200);
        Assert.Equal(20, unreachable);
        Assert.True(edge.GetService<ILoggerFactory>() is RepeatLimitedLoggerFactory { Suppressed: >= 40 });
    }

    [Fact]
    public async Task Start_BadRepeatLimit_FailsNamingTheKey()
    {
        using var cache = new TempDirectory();

        var failure = await Record.ExceptionAsync(async () =>
        {
            await using var edge = await EdgeHost.StartAsync("http://127.0.0.1:9", cache.Path, null, "edge-bad", "--Logging:RepeatLimit:Window=00:00:00");
        });

        Assert.NotNull(failure);
        Assert.Contains("Logging:RepeatLimit:Window", failure.ToString(), StringComparison.Ordinal);
    }

    private sealed record Line(string Category, LogLevel Level, int EventId, string Message);

    private sealed class CaptureProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<Line> _lines = new();

        public IReadOnlyCollection<Line> Lines => _lines.ToArray();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CaptureProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner._lines.Enqueue(new Line(category, logLevel, eventId.Id, formatter(state, exception)));
        }
    }
}
