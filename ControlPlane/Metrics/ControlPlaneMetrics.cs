using System.Collections.Concurrent;
using System.Diagnostics;
using Edge.ControlPlane.Health;
using Edge.ControlPlane.Topology;
using Prometheus;

namespace Edge.ControlPlane.Metrics;

/// <summary>How a steering decision ended, as the <c>result</c> label.</summary>
internal enum DecisionResult
{
    /// <summary>The best node is in the client's own site.</summary>
    Local,

    /// <summary>The client's site had no usable node; another site's node was chosen.</summary>
    Remote,

    /// <summary>No node anywhere could take the player (503).</summary>
    Unavailable,
}

/// <summary>The control plane's Prometheus metrics, in a registry of its own.</summary>
internal sealed class ControlPlaneMetrics
{
    private static readonly string[] ResultNames = ["local", "remote", "unavailable"];

    private readonly Counter _decisions;
    private readonly Histogram _decisionSeconds;
    private readonly ConcurrentDictionary<(string Site, DecisionResult Result), Counter.Child> _decisionChildren = new();

    public ControlPlaneMetrics(NodeHealthTracker health, TopologyStore topology)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);

        _decisions = factory.CreateCounter("controlplane_steering_decisions_total", "Steering decisions by the client's site and result (local, remote, unavailable).", ["site", "result"]);
        _decisionSeconds = factory.CreateHistogram("controlplane_steering_decision_seconds", "Time to rank nodes for one player.", new HistogramConfiguration
        {
            Buckets = Histogram.ExponentialBuckets(0.000_001, 2, 16),
        });
        Heartbeats = factory.CreateCounter("controlplane_heartbeats_total", "Heartbeats received, by result (accepted, unknown_node, invalid).", ["result"]);
        ManifestFetches = factory.CreateCounter("controlplane_manifest_fetches_total", "Manifests fetched from edges for content steering, by result.", ["result"]);
        var reloads = factory.CreateCounter("controlplane_topology_reloads_total", "Topology file reloads by result (accepted, rejected).", ["result"]);
        topology.Reloaded += ok => reloads.WithLabels(ok ? "accepted" : "rejected").Inc();

        var version = factory.CreateGauge("controlplane_topology_version", "Version of the topology in force; increments with each accepted file.");
        var nodes = factory.CreateGauge("controlplane_nodes", "Nodes by state: up (eligible), draining, not_ready, down.", ["state"]);
        var nodeUp = factory.CreateGauge("controlplane_node_up", "1 if the node is up, else 0.", ["node", "site"]);
        var nodeEgress = factory.CreateGauge("controlplane_node_egress_bits_per_second", "Egress last reported by the node.", ["node", "site"]);
        var nodeConnections = factory.CreateGauge("controlplane_node_connections", "Client connections last reported by the node.", ["node", "site"]);
        var labelled = new HashSet<(string Node, string Site)>();
        Registry.AddBeforeCollectCallback(() =>
        {
            var view = health.Refresh();

            // Nodes gone from the topology (or moved to another site) leave no stale series.
            var current = view.Topology.Nodes.Select(n => (n.Id, n.Site.Id)).ToHashSet();
            foreach (var gone in labelled.Where(l => !current.Contains(l)).ToList())
            {
                nodeUp.RemoveLabelled(gone.Node, gone.Site);
                nodeEgress.RemoveLabelled(gone.Node, gone.Site);
                nodeConnections.RemoveLabelled(gone.Node, gone.Site);
                labelled.Remove(gone);
            }

            labelled.UnionWith(current);
            version.Set(topology.Version);
            int up = 0, draining = 0, notReady = 0, down = 0;
            foreach (var node in view.Topology.Nodes)
            {
                var status = view[node];
                _ = status switch
                {
                    { State: NodeState.Down } => down++,
                    { Draining: true } => draining++,
                    { Ready: false } => notReady++,
                    _ => up++,
                };
                nodeUp.WithLabels(node.Id, node.Site.Id).Set(status.State == NodeState.Up ? 1 : 0);
                nodeEgress.WithLabels(node.Id, node.Site.Id).Set(status.ReportedEgressBps);
                nodeConnections.WithLabels(node.Id, node.Site.Id).Set(status.ActiveConnections);
            }

            nodes.WithLabels("up").Set(up);
            nodes.WithLabels("draining").Set(draining);
            nodes.WithLabels("not_ready").Set(notReady);
            nodes.WithLabels("down").Set(down);
        });
    }

    public CollectorRegistry Registry { get; }

    public Counter Heartbeats { get; }

    public Counter ManifestFetches { get; }

    public void RecordDecision(string site, DecisionResult result, long startTimestamp)
    {
        _decisionSeconds.Observe(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
        _decisionChildren.GetOrAdd((site, result), static (key, decisions) => decisions.WithLabels(key.Site, ResultNames[(int)key.Result]), _decisions).Inc();
    }
}
