namespace Edge.EdgeServer.Configuration;

/// <summary>Names of the eviction policies that <see cref="EdgeOptions.EvictionPolicy"/> can pick.</summary>
public static class EvictionPolicies
{
    /// <summary>S3-FIFO: a small probationary queue in front of a main queue, with a ghost list of recent evictions.</summary>
    public const string S3Fifo = nameof(S3Fifo);

    /// <summary>Plain least-recently-used; kept as a baseline.</summary>
    public const string Lru = nameof(Lru);

    /// <summary>Every known policy name.</summary>
    public static IReadOnlyList<string> All { get; } = [S3Fifo, Lru];

    /// <summary>Whether <paramref name="name"/> names a policy (case-insensitive).</summary>
    public static bool IsKnown(string? name) => All.Any(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
}
