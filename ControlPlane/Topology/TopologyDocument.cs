using System.Text.Json;
using System.Text.Json.Serialization;

namespace Edge.ControlPlane.Topology;

/// <summary>The topology file as written by the operator; <see cref="TopologyParser"/> checks it and builds a <see cref="NetworkTopology"/>.</summary>
public sealed record TopologyDocument
{
    /// <summary>Site for clients matched neither by prefix nor by location. Defaults to the first site.</summary>
    public string? DefaultSite { get; init; }

    public IReadOnlyList<SiteDocument>? Sites { get; init; }

    public IReadOnlyList<NodeDocument>? Nodes { get; init; }
}

/// <summary>A site (a point of presence): where it is, which client networks it serves, where its players go when it cannot.</summary>
public sealed record SiteDocument
{
    public string? Id { get; init; }

    public LocationDocument? Location { get; init; }

    public IReadOnlyList<string>? Prefixes { get; init; }

    public IReadOnlyList<string>? Fallback { get; init; }
}

public sealed record LocationDocument
{
    public double? Lat { get; init; }

    public double? Lon { get; init; }
}

/// <summary>An edge node: its id (as it reports itself), its site, the base URL players fetch from, and its egress capacity.</summary>
public sealed record NodeDocument
{
    public string? Id { get; init; }

    public string? Site { get; init; }

    public string? Url { get; init; }

    public long? CapacityBps { get; init; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(TopologyDocument))]
internal sealed partial class TopologyJsonContext : JsonSerializerContext;
