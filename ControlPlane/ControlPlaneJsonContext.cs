using System.Text.Json;
using System.Text.Json.Serialization;
using Edge.Contracts;
using Edge.ControlPlane.Steering;

namespace Edge.ControlPlane;

/// <summary>The body of <c>/v1/explain</c>.</summary>
public sealed record ExplainReport
{
    public string? Client { get; init; }

    public required string Path { get; init; }

    public required string Title { get; init; }

    public required string Site { get; init; }

    public required string Match { get; init; }

    public string? Prefix { get; init; }

    public required IReadOnlyList<SteeringCandidate> Candidates { get; init; }

    public required IReadOnlyList<SiteExplanation> Sites { get; init; }
}

public sealed record ErrorReport(string Error);

/// <summary>One node as <c>/v1/nodes</c> lists it.</summary>
public sealed record NodeStatusReport
{
    public required string Id { get; init; }

    public required string Site { get; init; }

    public required string Url { get; init; }

    public required long CapacityBps { get; init; }

    /// <summary><c>up</c> or <c>down</c>.</summary>
    public required string State { get; init; }

    public required DateTimeOffset StateSince { get; init; }

    public required bool Eligible { get; init; }

    public required bool Ready { get; init; }

    public required bool Draining { get; init; }

    public required string Reason { get; init; }

    public required double RampFraction { get; init; }

    public required long EgressBitsPerSecond { get; init; }

    public required double Utilization { get; init; }

    public required int ActiveConnections { get; init; }

    public required double CacheFullness { get; init; }

    public required double HitRatio { get; init; }

    /// <summary>Playback sessions the node's players reported in CMCD in the last five minutes.</summary>
    public required int PlayerSessions { get; init; }

    /// <summary>Share of the node's CMCD requests sent after a rebuffer in the last five minutes, 0 to 1.</summary>
    public required double RebufferingShare { get; init; }

    /// <summary>Mean encoded bitrate of the media the node's players asked for in the last five minutes, kbit/s.</summary>
    public required long MeanBitrateKbps { get; init; }

    public DateTimeOffset? LastHeartbeat { get; init; }

    public required int ProbeFailures { get; init; }
}

public sealed record NodeList(DateTimeOffset At, IReadOnlyList<NodeStatusReport> Nodes);

public sealed record SiteReport(string Id, double? Lat, double? Lon, IReadOnlyList<string> Prefixes, IReadOnlyList<string> Fallback, IReadOnlyList<string> Nodes);

/// <summary>The body of <c>/v1/topology</c>: what is in force and whether the newest file was rejected.</summary>
public sealed record TopologyReport
{
    public required string File { get; init; }

    public required long Version { get; init; }

    public required DateTimeOffset LoadedAt { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset? LastErrorAt { get; init; }

    public required string DefaultSite { get; init; }

    public required IReadOnlyList<SiteReport> Sites { get; init; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ExplainReport))]
[JsonSerializable(typeof(ErrorReport))]
[JsonSerializable(typeof(NodeList))]
[JsonSerializable(typeof(TopologyReport))]
public sealed partial class ControlPlaneJsonContext : JsonSerializerContext;
