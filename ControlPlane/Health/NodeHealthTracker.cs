using System.Collections.Concurrent;
using Edge.Contracts;
using Edge.ControlPlane.Configuration;
using Edge.ControlPlane.Topology;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.ControlPlane.Health;

/// <summary>
/// Judges each node up or down from its heartbeats and probes, and publishes a <see cref="HealthView"/>
/// for steering. A node is down once it misses <see cref="ControlPlaneOptions.DownAfterMissedHeartbeats"/>
/// heartbeats (if it ever sent one), fails <see cref="ControlPlaneOptions.DownAfterFailedProbes"/> probes in a
/// row, or reports itself unhealthy. A node that comes back ramps up over <see cref="ControlPlaneOptions.RampUpDuration"/>.
/// </summary>
internal sealed partial class NodeHealthTracker
{
    private readonly TopologyStore _topology;
    private readonly ControlPlaneOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<NodeHealthTracker> _logger;
    private readonly ConcurrentDictionary<string, NodeHealth> _nodes = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _started;
    private readonly TimeSpan _heartbeatWindow;
    private readonly TimeSpan _refreshAfter;
    private readonly Lock _refreshGate = new();
    private HealthView? _view;

    public NodeHealthTracker(TopologyStore topology, IOptions<ControlPlaneOptions> options, TimeProvider time, ILogger<NodeHealthTracker> logger)
    {
        _topology = topology;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _started = time.GetUtcNow();
        _heartbeatWindow = _options.HeartbeatInterval * _options.DownAfterMissedHeartbeats;
        _refreshAfter = _options.HeartbeatInterval / 4;
        topology.Changed += _ => Refresh();
    }

    /// <summary>
    /// Nodes first seen up (not coming back) this soon after the control plane started are not ramped: the control plane
    /// cannot know whether they were serving all along.
    /// </summary>
    public TimeSpan StartupGrace => _heartbeatWindow + _options.ProbeInterval * _options.DownAfterFailedProbes;

    /// <summary>The newest snapshot, judged again when it is older than a quarter of a heartbeat interval.</summary>
    public HealthView View
    {
        get
        {
            var view = Volatile.Read(ref _view);
            return view is not null && _time.GetUtcNow() - view.At < _refreshAfter ? view : Refresh();
        }
    }

    /// <summary>
    /// Records a heartbeat; false if the node is not in the topology. An unverified report (no node keys) is ignored
    /// while the node's own probes have lately contradicted what reports said.
    /// </summary>
    public bool RecordHeartbeat(NodeReport report, bool verified = true)
    {
        if (_topology.Current.FindNode(report.NodeId) is null)
        {
            return false;
        }

        var health = _nodes.GetOrAdd(report.NodeId, id => new NodeHealth(id));
        bool changed;
        lock (health.Gate)
        {
            if (!verified && health.ReportsOverruledUntil is { } until && _time.GetUtcNow() < until)
            {
                return true;
            }

            health.LastReportVerified = verified;
            changed = health.LastReport is not { } last || last.Ready != report.Ready || last.Draining != report.Draining
                || last.Healthy != report.Healthy || health.State == NodeState.Down;
            health.LastHeartbeat = _time.GetUtcNow();
            health.LastReport = report;
            health.Ready = report.Ready;
            health.Draining = report.Draining;
            health.EgressBps = report.EgressBitsPerSecond;
            health.ResetDecisions();
        }

        if (changed)
        {
            Refresh();
        }

        return true;
    }

    /// <summary>Records one probe of a node's <c>/readyz</c>.</summary>
    public void RecordProbe(string nodeId, ProbeResult result, string? error = null)
    {
        if (_topology.Current.FindNode(nodeId) is null)
        {
            return;
        }

        var health = _nodes.GetOrAdd(nodeId, id => new NodeHealth(id));
        bool changed;
        lock (health.Gate)
        {
            var wasFailing = health.ConsecutiveProbeFailures >= _options.DownAfterFailedProbes;
            if (result == ProbeResult.Failed)
            {
                health.ConsecutiveProbeFailures++;
                health.LastProbeError = error;
                changed = !wasFailing && health.ConsecutiveProbeFailures >= _options.DownAfterFailedProbes;
            }
            else
            {
                var ready = result == ProbeResult.Ready;
                var draining = result == ProbeResult.Draining;
                if (health is { LastReportVerified: false, LastReport: { } report } && (!report.Healthy || report.Ready != ready || report.Draining != draining))
                {
                    // Anyone may send an unverified report: the node's own answer wins, and reports are not heard for a while.
                    health.LastReport = null;
                    health.LastHeartbeat = null;
                    health.ReportsOverruledUntil = _time.GetUtcNow() + OverruleDuration;
                    LogOverruled(_logger, nodeId, ready ? "ready" : draining ? "draining" : "not ready");
                }

                changed = wasFailing || health.LastProbeOk is null || health.Ready != ready || health.Draining != draining;
                health.ConsecutiveProbeFailures = 0;
                health.LastProbeError = null;
                health.LastProbeOk = _time.GetUtcNow();
                health.Ready = ready;
                health.Draining = draining;
            }
        }

        if (changed)
        {
            Refresh();
        }
    }

    /// <summary>How long unverified reports are ignored once a probe contradicted them.</summary>
    public TimeSpan OverruleDuration => _options.ProbeInterval * 30;

    /// <summary>Judges every node at the current time and publishes a new view.</summary>
    public HealthView Refresh()
    {
        lock (_refreshGate)
        {
            var topology = _topology.Current;
            var now = _time.GetUtcNow();
            var statuses = new NodeStatus[topology.Nodes.Count];
            foreach (var node in topology.Nodes)
            {
                statuses[node.Index] = Judge(node, _nodes.GetOrAdd(node.Id, id => new NodeHealth(id)), now);
            }

            foreach (var id in _nodes.Keys)
            {
                if (topology.FindNode(id) is null)
                {
                    _nodes.TryRemove(id, out _);
                }
            }

            var view = new HealthView(topology, statuses, now);
            Volatile.Write(ref _view, view);
            return view;
        }
    }

    private NodeStatus Judge(EdgeNode node, NodeHealth health, DateTimeOffset now)
    {
        lock (health.Gate)
        {
            var report = health.LastReport;
            // An unverified sender that went quiet does not outweigh probes that answered since.
            var heartbeatStale = health.LastHeartbeat is { } beat && now - beat > _heartbeatWindow
                && (health.LastReportVerified || health.LastProbeOk is not { } probed || probed < beat);
            var probesFailing = health.ConsecutiveProbeFailures >= _options.DownAfterFailedProbes;
            var heardFrom = health.LastHeartbeat is not null || health.LastProbeOk is not null;
            var unhealthy = report is { Healthy: false } && !heartbeatStale;

            string reason;
            if (!heardFrom)
            {
                reason = health.ConsecutiveProbeFailures > 0 ? "unreachable: " + health.LastProbeError : "not heard from yet";
            }
            else if (probesFailing)
            {
                reason = $"{health.ConsecutiveProbeFailures} probes failed: {health.LastProbeError}";
            }
            else if (heartbeatStale)
            {
                reason = $"no heartbeat for {(now - health.LastHeartbeat!.Value).TotalSeconds:0.0} s";
            }
            else if (unhealthy)
            {
                reason = "reports unhealthy: " + report!.Reason;
            }
            else if (health.Draining)
            {
                reason = "draining";
            }
            else if (!health.Ready)
            {
                reason = "not ready" + (report?.Reason is { } why ? ": " + why : "");
            }
            else
            {
                reason = "ok";
            }

            var up = heardFrom && !probesFailing && !heartbeatStale && !unhealthy;
            if (up && health.State == NodeState.Down)
            {
                health.State = NodeState.Up;
                health.StateSince = now;
                // Ramp unless this is the first sighting just after start-up, when the node may have been serving all along.
                health.RampStart = !health.WasUp && now - _started < StartupGrace ? null : now;
                health.WasUp = true;
                LogUp(_logger, node.Id, node.Site.Id, health.RampStart is null ? TimeSpan.Zero : _options.RampUpDuration);
            }
            else if (!up && health.State == NodeState.Up)
            {
                health.State = NodeState.Down;
                health.StateSince = now;
                health.RampStart = null;
                LogDown(_logger, node.Id, node.Site.Id, reason);
            }
            else if (health.StateSince == default)
            {
                health.StateSince = now;
            }

            var ramp = 1.0;
            if (health.RampStart is { } start && _options.RampUpDuration > TimeSpan.Zero)
            {
                ramp = Math.Clamp((now - start) / _options.RampUpDuration, 0, 1);
                if (ramp >= 1)
                {
                    health.RampStart = null;
                }
            }

            return new NodeStatus
            {
                Health = health,
                State = health.State,
                StateSince = health.StateSince,
                Ready = health.Ready,
                Draining = health.Draining,
                Reason = reason,
                RampFraction = ramp,
                ReportedEgressBps = heartbeatStale ? 0 : report?.EgressBitsPerSecond ?? 0,
                ActiveConnections = report?.ActiveConnections ?? 0,
                CacheFullness = report is { CacheMaxBytes: > 0 } r ? (double)r.CacheUsedBytes / r.CacheMaxBytes : 0,
                HitRatio = report is { Requests: > 0 } q ? (double)q.Hits / q.Requests : 0,
                PlayerSessions = report?.PlayerSessions ?? 0,
                RebufferingShare = report?.RebufferingShare ?? 0,
                MeanBitrateKbps = report?.MeanBitrateKbps ?? 0,
                LastHeartbeat = health.LastHeartbeat,
                ConsecutiveProbeFailures = health.ConsecutiveProbeFailures,
            };
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Node {Node} (site {Site}) is up; ramping up over {Ramp}")]
    private static partial void LogUp(ILogger logger, string node, string site, TimeSpan ramp);

    [LoggerMessage(3, LogLevel.Warning, "Node {Node}'s probe found it {Probe}, which its unverified heartbeats denied; they are ignored for a while (set ControlPlane:NodeKeys to verify them)")]
    private static partial void LogOverruled(ILogger logger, string node, string probe);

    [LoggerMessage(2, LogLevel.Warning, "Node {Node} (site {Site}) is down: {Reason}")]
    private static partial void LogDown(ILogger logger, string node, string site, string reason);
}
