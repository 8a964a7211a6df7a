using System.Net;
using Edge.ControlPlane.Configuration;
using Edge.ControlPlane.Health;
using Edge.ControlPlane.Topology;
using Microsoft.Extensions.Options;

namespace Edge.ControlPlane.Steering;

/// <summary>
/// Chooses nodes for a player: the client's site first, then its fallback sites, then the others nearest
/// first. Within a site the title's placement score ranks the nodes; the title's top
/// <see cref="ControlPlaneOptions.TitleReplicas"/> nodes (its homes) share its players by client address;
/// a node over its load bound, or ramping up and not yet due this title, drops behind the rest.
/// Nodes that are down, not ready or draining are never chosen.
/// </summary>
internal sealed class Steerer
{
    // Salt so the ramp's per-title draw is independent of the placement score.
    private const ulong RampSalt = 0x5DEECE66DUL;
    private const int StackNodes = 128;

    private readonly NodeHealthTracker _health;
    private readonly IPlacementPolicy _placement;
    private readonly ControlPlaneOptions _options;

    public Steerer(NodeHealthTracker health, IPlacementPolicy placement, IOptions<ControlPlaneOptions> options)
    {
        _health = health;
        _placement = placement;
        _options = options.Value;
    }

    /// <summary>The title a path belongs to: its first <see cref="ControlPlaneOptions.TitlePathSegments"/> segments.</summary>
    public static ReadOnlySpan<char> TitleOf(ReadOnlySpan<char> path, int segments)
    {
        path = path.TrimStart('/');
        var end = 0;
        for (var i = 0; i < segments; i++)
        {
            var next = path[end..].IndexOf('/');
            if (next < 0)
            {
                return path;
            }

            end += next + (i + 1 < segments ? 1 : 0);
        }

        return path[..end];
    }

    /// <summary>Ranks nodes for a path and client. <paramref name="countDecision"/> charges the best node with one more player.</summary>
    public SteeringDecision Decide(string path, IPAddress? client, GeoPoint? location, bool countDecision, SteeringExplanation? explain = null)
    {
        var view = _health.View;
        var topology = view.Topology;
        var title = TitleOf(path, _options.TitlePathSegments);
        var titleHash = SteeringHash.Of(title);
        var clientHash = client is null ? 0UL : SteeringHash.Of(client);
        var match = topology.MatchSite(client, location);
        var max = _options.MaxCandidates;

        var walk = new Walk
        {
            View = view,
            TitleHash = titleHash,
            ClientHash = clientHash,
            Max = max,
            Chosen = new List<EdgeNode>(max),
            Leftovers = [],
            Explain = explain,
            Visited = topology.Sites.Count <= 256 ? stackalloc bool[topology.Sites.Count] : new bool[topology.Sites.Count],
        };

        Visit(ref walk, match.Site, "client");
        foreach (var site in match.Site.Fallback)
        {
            Visit(ref walk, site, "fallback");
        }

        foreach (var site in match.Site.ByDistance)
        {
            Visit(ref walk, site, "nearest");
        }

        var chosen = walk.Chosen;
        var leftovers = walk.Leftovers;
        for (var i = 0; i < leftovers.Count && chosen.Count < max; i++)
        {
            chosen.Add(leftovers[i]);
        }

        if (explain is not null)
        {
            for (var i = 0; i < chosen.Count; i++)
            {
                foreach (var site in explain.Sites)
                {
                    site.Nodes.Find(n => n.Node == chosen[i].Id)?.Rank = i + 1;
                }
            }
        }

        if (countDecision && chosen.Count > 0)
        {
            view[chosen[0]].Health.CountDecision();
        }

        return new SteeringDecision(title.ToString(), match, chosen, view);
    }

    private void Visit(ref Walk walk, Site site, string role)
    {
        if (walk.Visited[site.Index] || (walk.Chosen.Count >= walk.Max && walk.Explain is null))
        {
            return;
        }

        walk.Visited[site.Index] = true;
        var first = walk.Chosen.Count == 0 && walk.Leftovers.Count == 0;

        // Keep the last place for another site, so that the list survives the loss of a whole site.
        var room = first && walk.View.Topology.Sites.Count > 1 && walk.Max > 1 ? walk.Max - 1 : walk.Max - walk.Chosen.Count;
        RankSite(walk.View, site, role, walk.TitleHash, walk.ClientHash, walk.Chosen, room, first ? walk.Leftovers : null, walk.Explain);
    }

    private void RankSite(HealthView view, Site site, string role, ulong titleHash, ulong clientHash,
        List<EdgeNode> chosen, int room, List<EdgeNode>? leftovers, SteeringExplanation? explain)
    {
        var nodes = site.Nodes;
        Span<Ranked> ranked = nodes.Count <= StackNodes ? stackalloc Ranked[nodes.Count] : new Ranked[nodes.Count];
        var count = 0;
        double load = 0, capacity = 0;
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            var status = view[node];
            if (!status.Eligible)
            {
                continue;
            }

            var nodeLoad = status.Health.EgressBps + (double)status.Health.DecisionsSinceReport * _options.ExpectedSessionBitsPerSecond;
            load += nodeLoad;
            capacity += node.CapacityBps;
            ranked[count++] = new Ranked(i, _placement.Score(titleHash, node), nodeLoad / node.CapacityBps);
        }

        ranked = ranked[..count];
        ranked.Sort(static (a, b) => b.Score.CompareTo(a.Score));

        // The title's homes share its players: each client gets a stable one of them.
        var homes = Math.Min(_options.TitleReplicas, count);
        if (clientHash != 0 && homes > 1)
        {
            for (var i = 0; i < homes; i++)
            {
                ranked[i].ClientKey = SteeringHash.Mix(clientHash, nodes[ranked[i].Index].Seed);
            }

            ranked[..homes].Sort(static (a, b) => b.ClientKey.CompareTo(a.ClientKey));
        }

        var average = capacity > 0 ? load / capacity : 0;
        var bound = Math.Max(_options.MinOverflowUtilization, _options.LoadBoundFactor * average);
        for (var i = 0; i < count; i++)
        {
            ref var entry = ref ranked[i];
            var status = view[nodes[entry.Index]];
            entry.Overloaded = entry.Utilization >= _options.MaxUtilization || entry.Utilization > bound;
            entry.RampDeferred = status.RampFraction < 1
                && SteeringHash.Unit(SteeringHash.Mix(titleHash, nodes[entry.Index].Seed ^ RampSalt)) >= status.RampFraction;
        }

        var taken = 0;
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var entry in ranked)
            {
                if ((entry.Overloaded || entry.RampDeferred) != (pass == 1))
                {
                    continue;
                }

                if (taken < room)
                {
                    chosen.Add(nodes[entry.Index]);
                    taken++;
                }
                else
                {
                    leftovers?.Add(nodes[entry.Index]);
                }
            }
        }

        if (explain is null)
        {
            return;
        }

        var siteExplanation = new SiteExplanation(site.Id, role, average, Math.Min(bound, _options.MaxUtilization));
        explain.Sites.Add(siteExplanation);
        foreach (var node in nodes)
        {
            var status = view[node];
            var index = -1;
            for (var i = 0; i < count; i++)
            {
                if (nodes[ranked[i].Index] == node)
                {
                    index = i;
                }
            }

            var entry = index >= 0 ? ranked[index] : default;
            siteExplanation.Nodes.Add(new NodeExplanation
            {
                Node = node.Id,
                Url = node.BaseUrl,
                State = status.State == NodeState.Up ? "up" : "down",
                Eligible = status.Eligible,
                Reason = status.Reason,
                Score = index >= 0 ? entry.Score : null,
                Home = index >= 0 && index < homes,
                Utilization = index >= 0 ? entry.Utilization : (double)status.ReportedEgressBps / node.CapacityBps,
                Overloaded = entry.Overloaded,
                RampFraction = status.RampFraction,
                RampDeferred = entry.RampDeferred,
            });
        }
    }

    private ref struct Walk
    {
        public HealthView View;
        public ulong TitleHash;
        public ulong ClientHash;
        public int Max;
        public List<EdgeNode> Chosen;
        public List<EdgeNode> Leftovers;
        public SteeringExplanation? Explain;
        public Span<bool> Visited;
    }

    private struct Ranked(int index, double score, double utilization)
    {
        public readonly int Index = index;
        public readonly double Score = score;
        public readonly double Utilization = utilization;
        public ulong ClientKey;
        public bool Overloaded;
        public bool RampDeferred;
    }
}
