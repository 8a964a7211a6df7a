using System.Collections.Concurrent;
using System.Net;
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
/// health, readiness, draining, egress, connections and cache fullness. Replicas share no database, so each gets every report;
/// with <see cref="EdgeOptions.ControlPlaneResolveAll"/> every address a URL's host resolves to counts as a replica.
/// </summary>
internal sealed partial class HeartbeatReporter : BackgroundService
{
    private readonly EdgeOptions _options;
    private readonly NodeState _state;
    private readonly DiskCache _cache;
    private readonly EdgeMetrics _metrics;
    private readonly Cmcd.CmcdQuality _quality;
    private readonly ConnectionCounter _connections;
    private readonly TimeProvider _time;
    private readonly ILogger<HeartbeatReporter> _logger;
    private readonly HttpClient _http;
    private readonly IControlPlaneResolver _resolver;
    private readonly ConcurrentDictionary<string, bool> _failing = new(StringComparer.Ordinal);
    private readonly ControlPlaneTokenSource _token;
    private long _sequence;
    private long _lastBytes;
    private long _lastTimestamp;

    public HeartbeatReporter(IOptions<EdgeOptions> options, NodeState state, DiskCache cache, EdgeMetrics metrics,
        ConnectionCounter connections, TimeProvider time, IControlPlaneResolver resolver, ILogger<HeartbeatReporter> logger, Cmcd.CmcdQuality quality)
    {
        _quality = quality;
        _resolver = resolver;
        _options = options.Value;
        _state = state;
        _cache = cache;
        _metrics = metrics;
        _connections = connections;
        _time = time;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = _options.HeartbeatInterval,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            UseProxy = false,
        })
        {
            Timeout = _options.HeartbeatInterval,
        };
        _token = new ControlPlaneTokenSource(_options);
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
        var quality = _quality.Summary();
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
            PlayerSessions = quality.Sessions,
            RebufferingShare = quality.StarvedShare,
            MeanBitrateKbps = quality.MeanBitrateKbps,
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
                IEnumerable<string> targets = _options.ControlPlaneResolveAll ? await ResolveAllAsync(stoppingToken) : _options.ControlPlaneUrls;
                var token = _token.Current();
                await Task.WhenAll(targets.Select(url => SendAsync(url, report, token, stoppingToken)));
                if (_options.ControlPlaneResolveAll)
                {
                    // Replicas come and go with new addresses; forget the ones no longer resolved.
                    foreach (var key in _failing.Keys.Where(k => !k.StartsWith("dns ", StringComparison.Ordinal) && !targets.Contains(k)))
                    {
                        _failing.TryRemove(key, out _);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // One URL per address of each control-plane host, resolved again every round so replicas come and go.
    private async Task<IReadOnlyList<string>> ResolveAllAsync(CancellationToken cancellationToken)
    {
        var urls = new List<string>();
        foreach (var configured in _options.ControlPlaneUrls)
        {
            var uri = new Uri(configured);
            if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
            {
                urls.Add(configured);
                continue;
            }

            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.HeartbeatInterval);
                foreach (var address in await _resolver.ResolveAsync(uri.DnsSafeHost, timeout.Token))
                {
                    var host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString();
                    urls.Add(new UriBuilder(uri) { Host = host }.Uri.GetLeftPart(UriPartial.Path));
                }

                MarkResolved(configured, null);
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                MarkResolved(configured, ex is OperationCanceledException ? "timed out" : ex.Message);
            }
        }

        return urls;
    }

    private void MarkResolved(string url, string? problem)
    {
        if (Flipped("dns " + url, problem is not null) && problem is not null)
        {
            LogResolveFailing(_logger, url, problem);
        }
    }

    // Records whether a target is failing; true when that changed, so logs show changes, not every failed second.
    private bool Flipped(string key, bool failing)
    {
        var was = _failing.TryGetValue(key, out var before) && before;
        _failing[key] = failing;
        return was != failing;
    }

    private async Task SendAsync(string baseUrl, NodeReport report, System.Net.Http.Headers.AuthenticationHeaderValue? token, CancellationToken cancellationToken)
    {
        var url = baseUrl.TrimEnd('/') + "/v1/nodes/" + Uri.EscapeDataString(report.NodeId) + "/heartbeat";
        string? problem;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(report, ContractsJsonContext.Default.NodeReport) };
            request.Headers.Authorization = token;
            using var response = await _http.SendAsync(request, cancellationToken);
            problem = response.IsSuccessStatusCode ? null : $"answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}";
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            problem = ex is OperationCanceledException ? "timed out" : ex.Message;
        }

        if (!Flipped(baseUrl, problem is not null))
        {
            return;
        }

        if (problem is not null)
        {
            LogFailing(_logger, baseUrl, problem.Trim());
        }
        else
        {
            LogRecovered(_logger, baseUrl);
        }
    }

    [LoggerMessage(20, LogLevel.Warning, "Heartbeats to control plane {Url} are failing: {Problem}")]
    private static partial void LogFailing(ILogger logger, string url, string problem);

    [LoggerMessage(21, LogLevel.Information, "Heartbeats to control plane {Url} are accepted again")]
    private static partial void LogRecovered(ILogger logger, string url);

    [LoggerMessage(22, LogLevel.Warning, "Control plane {Url} does not resolve: {Problem}")]
    private static partial void LogResolveFailing(ILogger logger, string url, string problem);
}
