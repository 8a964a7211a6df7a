using System.Net;
using Edge.ControlPlane.Configuration;
using Edge.ControlPlane.Topology;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Edge.ControlPlane.Health;

/// <summary>
/// Probes every node's <c>/readyz</c> each <see cref="ControlPlaneOptions.ProbeInterval"/> and re-judges
/// health four times as often, so a node whose heartbeats stop is marked down without waiting for a probe.
/// </summary>
internal sealed class NodeProber : BackgroundService
{
    private const int MaxConcurrentProbes = 64;

    private readonly NodeHealthTracker _tracker;
    private readonly TopologyStore _topology;
    private readonly NodeHttpClient _http;
    private readonly ControlPlaneOptions _options;
    private readonly TimeProvider _time;

    public NodeProber(NodeHealthTracker tracker, TopologyStore topology, NodeHttpClient http, IOptions<ControlPlaneOptions> options, TimeProvider time)
    {
        _tracker = tracker;
        _topology = topology;
        _http = http;
        _options = options.Value;
        _time = time;
    }

    /// <summary>Probes one node once.</summary>
    public async Task<(ProbeResult Result, string? Error)> ProbeAsync(EdgeNode node, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ProbeTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, node.BaseUrl + "/readyz");
            using var response = await _http.Client.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return (ProbeResult.Ready, null);
            }

            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                var body = await response.Content.ReadAsStringAsync(timeout.Token);
                return (body.StartsWith("draining", StringComparison.Ordinal) ? ProbeResult.Draining : ProbeResult.NotReady, null);
            }

            return (ProbeResult.Failed, $"/readyz answered {(int)response.StatusCode}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (ProbeResult.Failed, $"/readyz timed out after {_options.ProbeTimeout.TotalMilliseconds:0} ms");
        }
        catch (HttpRequestException ex)
        {
            return (ProbeResult.Failed, ex.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var judge = JudgeLoopAsync(stoppingToken);
        using var timer = new PeriodicTimer(_options.ProbeInterval, _time);
        using var limit = new SemaphoreSlim(MaxConcurrentProbes);
        try
        {
            do
            {
                var nodes = _topology.Current.Nodes;
                await Task.WhenAll(nodes.Select(async node =>
                {
                    await limit.WaitAsync(stoppingToken);
                    try
                    {
                        var (result, error) = await ProbeAsync(node, stoppingToken);
                        _tracker.RecordProbe(node.Id, result, error);
                    }
                    finally
                    {
                        limit.Release();
                    }
                }));
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await judge;
    }

    private async Task JudgeLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval / 4, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                _tracker.Refresh();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
