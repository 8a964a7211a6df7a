using Edge.ControlPlane.Health;
using Edge.ControlPlane.Topology;

namespace Edge.ControlPlane.Steering;

/// <summary>Where a player should go: nodes ranked best first (empty when no node can take it).</summary>
internal sealed class SteeringDecision(string title, SiteMatch match, IReadOnlyList<EdgeNode> candidates, HealthView view)
{
    public string Title { get; } = title;

    public SiteMatch Match { get; } = match;

    public IReadOnlyList<EdgeNode> Candidates { get; } = candidates;

    public HealthView View { get; } = view;

    public EdgeNode? Best => Candidates.Count > 0 ? Candidates[0] : null;
}

/// <summary>Why each node of each visited site ranked where it did; filled by <see cref="Steerer.Decide"/> for <c>/v1/explain</c>.</summary>
public sealed class SteeringExplanation
{
    public List<SiteExplanation> Sites { get; } = [];
}

public sealed record SiteExplanation(string Site, string Role, double AverageUtilization, double OverflowBound)
{
    public List<NodeExplanation> Nodes { get; } = [];
}

public sealed record NodeExplanation
{
    public required string Node { get; init; }

    public required string Url { get; init; }

    public required string State { get; init; }

    public required bool Eligible { get; init; }

    public required string Reason { get; init; }

    /// <summary>Placement score of the title on this node (higher holds it); null when not eligible.</summary>
    public double? Score { get; init; }

    /// <summary>One of the title's home nodes in its site.</summary>
    public bool Home { get; init; }

    public double Utilization { get; init; }

    public bool Overloaded { get; init; }

    public double RampFraction { get; init; }

    /// <summary>Passed over for this title while the node ramps up.</summary>
    public bool RampDeferred { get; init; }

    /// <summary>Position in the answer, 1 for the best; null when left out.</summary>
    public int? Rank { get; set; }
}
