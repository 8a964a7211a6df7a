using System.Collections.Concurrent;
using System.IO.Pipelines;
using Edge.EdgeServer.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Serving;

/// <summary>
/// Cuts responses whose client has stopped reading: a body write that has waited on the client for longer than
/// <c>Edge:Limits:ResponseStallTimeout</c> aborts its request.
/// </summary>
/// <remarks>
/// Kestrel's minimum data rate grants each write its size divided by the rate, so a 64 KiB write to a reader at
/// 0 B/s is allowed about 270 s. Here a write only counts while it waits: one that completes at once costs nothing,
/// and one that waits is timed by a single timer for the whole node.
/// </remarks>
internal sealed partial class StalledWrites : IDisposable
{
    private readonly ConcurrentDictionary<HttpContext, long> _waiting = new();

    // Plain-HTTP connections whose sending the edge does itself: a body handed to one is timed by its send, not by a write.
    private readonly ConcurrentDictionary<Transport.DirectSendConnection, byte> _sending = new();
    private readonly TimeProvider _time;
    private readonly ILogger<StalledWrites> _logger;
    private readonly long _timeoutTicks;
    private readonly ITimer? _timer;
    private long _cut;
    private long _directBytes;

    public StalledWrites(TimeProvider time, IOptions<EdgeOptions> options, ILogger<StalledWrites> logger)
    {
        _time = time;
        _logger = logger;
        var timeout = options.Value.Limits.ResponseStallTimeout;
        if (timeout > TimeSpan.Zero)
        {
            _timeoutTicks = (long)(timeout.TotalSeconds * time.TimestampFrequency);
            var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond));
            _timer = time.CreateTimer(static state => ((StalledWrites)state!).Sweep(), this, period, period);
        }
    }

    /// <summary>Responses cut because a write waited on the client too long.</summary>
    public long Cut => Interlocked.Read(ref _cut);

    /// <summary>Body writes waiting on their client now.</summary>
    public int Waiting => _waiting.Count;

    public TimeProvider Time => _time;

    /// <summary>Body bytes connections have sent straight from the memory that held them.</summary>
    public long DirectBytes => Interlocked.Read(ref _directBytes);

    public void AddDirectBytes(long bytes) => Interlocked.Add(ref _directBytes, bytes);

    /// <summary>Times the sends of a connection, from its start to its end.</summary>
    public void Add(Transport.DirectSendConnection connection)
    {
        if (_timer is not null)
        {
            _sending.TryAdd(connection, 0);
        }
    }

    public void Remove(Transport.DirectSendConnection connection) => _sending.TryRemove(connection, out _);

    /// <summary>Connections whose send is waiting on their client now.</summary>
    public int SendsWaiting => _sending.Keys.Count(static c => c.SendStarted != 0);

    /// <summary>A watch on the writes of one response.</summary>
    public Watch For(HttpContext context) => new(_timer is null ? null : this, context);

    public void Dispose() => _timer?.Dispose();

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> WaitAsync(ValueTask<FlushResult> pending, HttpContext context)
    {
        _waiting[context] = _time.GetTimestamp();
        try
        {
            return await pending;
        }
        finally
        {
            _waiting.TryRemove(context, out _);
        }
    }

    private void Sweep()
    {
        var now = _time.GetTimestamp();
        foreach (var (context, since) in _waiting)
        {
            if (now - since > _timeoutTicks && _waiting.TryRemove(new KeyValuePair<HttpContext, long>(context, since)))
            {
                try
                {
                    // Its connection's send, stuck on the same client, is not a second cut. Read before the abort ends the request.
                    if (context.Features.Get<Transport.IDirectSendFeature>() is Transport.DirectSendConnection connection)
                    {
                        _sending.TryRemove(connection, out _);
                    }

                    LogCut(_logger, context.Connection.Id);
                    context.Abort();
                    Interlocked.Increment(ref _cut);
                }
                catch (ObjectDisposedException)
                {
                    // The request finished on its own between the write's wait and this sweep: nothing to cut.
                }
            }
        }

        foreach (var (connection, _) in _sending)
        {
            var since = connection.SendStarted;
            if (since != 0 && now - since > _timeoutTicks && _sending.TryRemove(connection, out _))
            {
                Interlocked.Increment(ref _cut);
                LogSendCut(_logger);
                connection.Abort("A send waited on the client past Edge:Limits:ResponseStallTimeout.");
            }
        }
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Debug, Message = "Connection {ConnectionId}: a response write waited on the client past Edge:Limits:ResponseStallTimeout; cut")]
    private static partial void LogCut(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 311, Level = LogLevel.Debug, Message = "A connection's send waited on the client past Edge:Limits:ResponseStallTimeout; cut")]
    private static partial void LogSendCut(ILogger logger);

    /// <summary>Times the writes of one response that wait on its client; <c>default</c> times nothing.</summary>
    internal readonly struct Watch(StalledWrites? owner, HttpContext? context)
    {
        public ValueTask<FlushResult> Await(ValueTask<FlushResult> pending) =>
            pending.IsCompleted || owner is null ? pending : owner.WaitAsync(pending, context!);
    }
}
