using System.Text.Json;
using System.Text.Json.Serialization;

namespace Edge.Contracts;

/// <summary>
/// The heartbeat an edge node posts to every control-plane replica once a second
/// (<c>POST /v1/nodes/{nodeId}/heartbeat</c>).
/// </summary>
public sealed record NodeReport
{
    /// <summary>The node's id, as in the topology file.</summary>
    public required string NodeId { get; init; }

    /// <summary>The process is alive and serving.</summary>
    public bool Healthy { get; init; } = true;

    /// <summary>The node takes new players (see <c>/readyz</c>).</summary>
    public bool Ready { get; init; }

    /// <summary>The operator asked the node to take no new players.</summary>
    public bool Draining { get; init; }

    /// <summary>Why the node is or is not ready, for operators.</summary>
    public string? Reason { get; init; }

    /// <summary>Body bits sent to clients per second, averaged since the previous report.</summary>
    public long EgressBitsPerSecond { get; init; }

    /// <summary>Open client connections.</summary>
    public int ActiveConnections { get; init; }

    public long CacheUsedBytes { get; init; }

    public long CacheMaxBytes { get; init; }

    /// <summary>Requests answered since the node started.</summary>
    public long Requests { get; init; }

    /// <summary>Requests answered from the cache since the node started.</summary>
    public long Hits { get; init; }

    /// <summary>Playback sessions (CMCD <c>sid</c>) with a request in the last five minutes.</summary>
    public int PlayerSessions { get; init; }

    /// <summary>Share of the last five minutes' CMCD requests sent after the player's buffer ran empty (<c>bs</c>), 0 to 1.</summary>
    public double RebufferingShare { get; init; }

    /// <summary>Mean encoded bitrate (CMCD <c>br</c>) of the media objects players asked for in the last five minutes, kbit/s.</summary>
    public long MeanBitrateKbps { get; init; }

    /// <summary>Monotonic report number; a restarted node starts again from 1.</summary>
    public long Sequence { get; init; }
}

/// <summary>One ranked node in a steering answer.</summary>
public sealed record SteeringCandidate(string Node, string Site, string Url);

/// <summary>The JSON form of <c>GET /v1/steer/{path}</c>: nodes ranked best first, so a player can fail over down the list.</summary>
public sealed record SteeringAnswer
{
    public required string Path { get; init; }

    public required string Title { get; init; }

    /// <summary>The client's site and how it was matched (<c>prefix</c>, <c>location</c> or <c>default</c>).</summary>
    public required string Site { get; init; }

    public required string Match { get; init; }

    public required IReadOnlyList<SteeringCandidate> Candidates { get; init; }
}

/// <summary>Source-generated JSON for the wire contracts (camelCase).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(NodeReport))]
[JsonSerializable(typeof(SteeringAnswer))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
