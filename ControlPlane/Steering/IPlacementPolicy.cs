using Edge.ControlPlane.Topology;

namespace Edge.ControlPlane.Steering;

/// <summary>Decides which nodes of a site should hold a title: the higher a node's score, the more the title belongs there.</summary>
internal interface IPlacementPolicy
{
    string Name { get; }

    /// <summary>The node's score for the title; only the order of scores within one site matters.</summary>
    double Score(ulong titleHash, EdgeNode node);
}

/// <summary>
/// Weighted rendezvous (highest-random-weight) hashing: each (title, node) pair gets a stable pseudo-random
/// score, scaled so a node's share of titles is proportional to its capacity. Adding or removing one of N
/// nodes moves only the titles that node wins or held, about 1/N of them.
/// </summary>
internal sealed class RendezvousPlacementPolicy : IPlacementPolicy
{
    public string Name => "Rendezvous";

    // -w / ln(u) is the weighted form (Schindelhauer & Schomaker): P(node wins) = w / sum(w).
    public double Score(ulong titleHash, EdgeNode node) =>
        -node.CapacityBps / Math.Log(SteeringHash.Unit(SteeringHash.Mix(titleHash, node.Seed)));
}
