using System.Net;
using Edge.ControlPlane.Steering;

namespace Edge.ControlPlane.Topology;

/// <summary>A site in the checked, immutable topology.</summary>
public sealed class Site
{
    internal Site(string id, int index, GeoPoint? location)
    {
        Id = id;
        Index = index;
        Location = location;
    }

    public string Id { get; }

    public int Index { get; }

    public GeoPoint? Location { get; }

    public IReadOnlyList<string> Prefixes { get; internal set; } = [];

    /// <summary>Sites to try, in order, when this one has no usable node.</summary>
    public IReadOnlyList<Site> Fallback { get; internal set; } = [];

    /// <summary>Every other site, nearest first (sites without a location last, in file order).</summary>
    public IReadOnlyList<Site> ByDistance { get; internal set; } = [];

    public IReadOnlyList<EdgeNode> Nodes { get; internal set; } = [];
}

/// <summary>An edge node in the checked, immutable topology.</summary>
public sealed class EdgeNode
{
    internal EdgeNode(string id, int index, Site site, string baseUrl, long capacityBps)
    {
        Id = id;
        Index = index;
        Site = site;
        BaseUrl = baseUrl;
        CapacityBps = capacityBps;
        Seed = SteeringHash.Of(id);
    }

    public string Id { get; }

    public int Index { get; }

    public Site Site { get; }

    /// <summary>Scheme, host and port, without a trailing slash; a player's path is appended.</summary>
    public string BaseUrl { get; }

    public long CapacityBps { get; }

    /// <summary>Stable hash of the id: the node's identity in rendezvous hashing, the same on every replica.</summary>
    internal ulong Seed { get; }
}

/// <summary>How a client was matched to a site.</summary>
public enum SiteMatchKind
{
    Prefix,
    Location,
    Default,
}

public readonly record struct SiteMatch(Site Site, SiteMatchKind Kind, string? Prefix);

/// <summary>The sites and nodes in force: built once per topology file version and never changed.</summary>
public sealed class NetworkTopology
{
    private readonly PrefixTable<(Site Site, string Prefix)> _prefixes;
    private readonly Dictionary<string, EdgeNode> _nodesById;
    private readonly Dictionary<string, Site> _sitesById;

    internal NetworkTopology(IReadOnlyList<Site> sites, IReadOnlyList<EdgeNode> nodes, Site defaultSite, PrefixTable<(Site, string)> prefixes)
    {
        Sites = sites;
        Nodes = nodes;
        DefaultSite = defaultSite;
        _prefixes = prefixes;
        _nodesById = nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
        _sitesById = sites.ToDictionary(s => s.Id, StringComparer.Ordinal);
    }

    public IReadOnlyList<Site> Sites { get; }

    public IReadOnlyList<EdgeNode> Nodes { get; }

    public Site DefaultSite { get; }

    public int PrefixCount => _prefixes.Count;

    public EdgeNode? FindNode(string id) => _nodesById.GetValueOrDefault(id);

    public Site? FindSite(string id) => _sitesById.GetValueOrDefault(id);

    /// <summary>Longest prefix holding the address, else the site nearest the client's location, else the default site.</summary>
    public SiteMatch MatchSite(IPAddress? client, GeoPoint? location)
    {
        if (client is not null && _prefixes.TryMatch(client, out var hit, out _))
        {
            return new SiteMatch(hit.Site, SiteMatchKind.Prefix, hit.Prefix);
        }

        if (location is { } point)
        {
            Site? nearest = null;
            var best = double.MaxValue;
            foreach (var site in Sites)
            {
                if (site.Location is { } at && at.DistanceKm(point) is var d && d < best)
                {
                    best = d;
                    nearest = site;
                }
            }

            if (nearest is not null)
            {
                return new SiteMatch(nearest, SiteMatchKind.Location, null);
            }
        }

        return new SiteMatch(DefaultSite, SiteMatchKind.Default, null);
    }
}
