using Edge.ControlPlane.Topology;

namespace Edge.ControlPlane.Health;

/// <summary>The topology in force and the status of each of its nodes (indexed by <see cref="EdgeNode.Index"/>) at one instant.</summary>
internal sealed class HealthView(NetworkTopology topology, NodeStatus[] statuses, DateTimeOffset at)
{
    public NetworkTopology Topology { get; } = topology;

    public DateTimeOffset At { get; } = at;

    public NodeStatus this[EdgeNode node] => statuses[node.Index];
}
