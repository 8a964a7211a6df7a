using System.Net.Http.Json;
using Edge.Contracts;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Health;

/// <summary>
/// Posts a <see cref="NodeReport"/> to every control-plane replica each <see cref="EdgeOptions.HeartbeatInterval"/>:
/// health, readiness, draining, egress, connections and cache fullness. Replicas share no database, so each gets every report.
/// </summary>
internal sealed partial class HeartbeatReporter : BackgroundService
{
    private readonly EdgeOptions _options;
    private readonly NodeState _state;
    private readonly DiskCache _cache;
    private readonly EdgeMetrics _metrics;
    private readonly ConnectionCounter _connections;
    private readonly TimeProvider _time;
    private readonly ILogger<HeartbeatReporter> _logger;
    private readonly HttpClient _http;
    private readonly bool[] _failing;
    private long _sequence;
    private long _lastBytes;
    private long _lastTimestamp;

    public HeartbeatReporter(IOptions<EdgeOptions> options, NodeState state, DiskCache cache, EdgeMetrics metrics,
        ConnectionCounter connections, TimeProvider time, ILogger<HeartbeatReporter> logger)
    {
        _options = options.Value;
        _state = state;
        _cache = cache;
        _metrics = metrics;
        _connections = connections;
        _time = time;
        _logger = logger;
        _failing = new bool[_options.ControlPlaneUrls.Count];
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = _options.HeartbeatInterval,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            UseProxy = false,
        })
        {
            Timeout = _options.HeartbeatInterval,
        };
        if (_options.ControlPlaneToken.Length > 0)
        {
            _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _options.ControlPlaneToken);
        }
    }

    /// <summary>The report this node would send now; advances the egress rate window.</summary>
    public NodeReport CreateReport()
    {
        var now = _time.GetTimestamp();
        var bytes = _metrics.TotalResponseBytes;
        var seconds = _lastTimestamp == 0 ? 0 : _time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
        var egress = seconds > 0 ? (long)((bytes - _lastBytes) * 8 / seconds) : 0;
        _lastBytes = bytes;
        _lastTimestamp = now;

        var ready = _state.IsReady(out var reason);
        return new NodeReport
        {
            NodeId = _options.NodeId,
            Healthy = true,
            Ready = ready,
            Draining = _state.Draining,
            Reason = reason,
            EgressBitsPerSecond = egress,
            ActiveConnections = (int)Math.Min(int.MaxValue, _connections.Active),
            CacheUsedBytes = _cache.UsedBytes,
            CacheMaxBytes = _cache.MaxBytes,
            Requests = _metrics.TotalRequests,
            Hits = _metrics.TotalHits,
            Sequence = Interlocked.Increment(ref _sequence),
        };
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.ControlPlaneUrls.Count == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _time);
        try
        {
            do
            {
                var report = CreateReport();
                await Task.WhenAll(_options.ControlPlaneUrls.Select((url, i) => SendAsync(i, url, report, stoppingToken)));
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(int index, string baseUrl, NodeReport report, CancellationToken cancellationToken)
    {
        var url = baseUrl.TrimEnd('/') + "/v1/nodes/" + Uri.EscapeDataString(report.NodeId) + "/heartbeat";
        string? problem;
        try
        {
            using var response = await _http.PostAsJsonAsync(url, report, ContractsJsonContext.Default.NodeReport, cancellationToken);
            problem = response.IsSuccessStatusCode ? null : $"answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}";
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            problem = ex is OperationCanceledException ? "timed out" : ex.Message;
        }

        // Log changes of state, not every failed second.
        if (problem is not null && !_failing[index])
        {
            LogFailing(_logger, baseUrl, problem.Trim());
        }
        else if (problem is null && _failing[index])
        {
            LogRecovered(_logger, baseUrl);
        }

        _failing[index] = problem is not null;
    }

    [LoggerMessage(20, LogLevel.Warning, "Heartbeats to control plane {Url} are failing: {Problem}")]
    private static partial void LogFailing(ILogger logger, string url, string problem);

    [LoggerMessage(21, LogLevel.Information, "Heartbeats to control plane {Url} are accepted again")]
    private static partial void LogRecovered(ILogger logger, string url);
}
