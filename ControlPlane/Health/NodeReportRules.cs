using Edge.Contracts;

namespace Edge.ControlPlane.Health;

/// <summary>The bounds a heartbeat must keep: anything else is a forged or broken report and is refused whole.</summary>
internal static class NodeReportRules
{
    public const int MaxReasonLength = 512;

    // Far above any one machine: 10 Tbit/s, ten million connections, an exabyte of cache.
    private const long MaxEgressBps = 10_000_000_000_000;
    private const int MaxConnections = 10_000_000;
    private const long MaxBitrateKbps = 10_000_000;
    private const long MaxCacheBytes = 1L << 60;

    /// <summary>What is wrong with <paramref name="report"/> posted for node <paramref name="id"/>, or null.</summary>
    public static string? Problem(NodeReport report, string id)
    {
        if (!string.Equals(report.NodeId, id, StringComparison.Ordinal))
        {
            return "the body's nodeId must be the node in the URL";
        }

        if (report.Reason is { Length: > MaxReasonLength })
        {
            return $"reason is at most {MaxReasonLength} characters";
        }

        return report switch
        {
            { EgressBitsPerSecond: < 0 or > MaxEgressBps } => $"egressBitsPerSecond must be between 0 and {MaxEgressBps}",
            { ActiveConnections: < 0 or > MaxConnections } => $"activeConnections must be between 0 and {MaxConnections}",
            { CacheUsedBytes: < 0 or > MaxCacheBytes } or { CacheMaxBytes: < 0 or > MaxCacheBytes } => "cache sizes must be between 0 and 2^60 bytes",
            { Requests: < 0 } or { Hits: < 0 } or { Sequence: < 0 } => "counters must not be negative",
            { PlayerSessions: < 0 or > MaxConnections } => $"playerSessions must be between 0 and {MaxConnections}",
            _ when !(report.RebufferingShare is >= 0 and <= 1) => "rebufferingShare must be between 0 and 1",
            { MeanBitrateKbps: < 0 or > MaxBitrateKbps } => $"meanBitrateKbps must be between 0 and {MaxBitrateKbps}",
            _ when report.Hits > report.Requests => "hits must not exceed requests",
            _ => null,
        };
    }
}
