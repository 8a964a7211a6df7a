using Microsoft.Extensions.Primitives;

namespace Edge.EdgeServer.Serving;

/// <summary>Builds RFC 9211 <c>Cache-Status</c> values.</summary>
internal static class CacheStatus
{
    public const string HeaderName = "Cache-Status";

    /// <summary>The node id as an sf-token when it is one, else as an sf-string.</summary>
    public static string Identifier(string nodeId) =>
        nodeId.Length > 0 && char.IsAsciiLetter(nodeId[0]) ? nodeId : "\"" + nodeId + "\"";

    /// <summary>
    /// The value for a response forwarded to the origin; an upstream cache's own entry (a parent node)
    /// comes first, as the list runs from the origin towards the user.
    /// </summary>
    public static StringValues Miss(string? upstream, string node, bool stored, bool collapsed, string? detail, string forward = "miss")
    {
        var value = node + "; fwd=" + forward + (stored ? "; stored" : "") + (collapsed ? "; collapsed" : "")
            + (detail is null ? "" : "; detail=" + detail);
        return string.IsNullOrWhiteSpace(upstream) ? value : upstream + ", " + value;
    }
}
