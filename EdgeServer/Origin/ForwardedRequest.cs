using Microsoft.AspNetCore.Http;

namespace Edge.EdgeServer.Origin;

/// <summary>
/// What a client's request contributes to the origin request of the fill it starts: its end-to-end header fields
/// (RFC 9110 §7.6.1), copied, since the fill outlives the request. Collapsed requests share the first one's.
/// </summary>
internal sealed class ForwardedRequest
{
    // Hop-by-hop, framing, and the fields the node sets or answers itself (whole objects are filled, then ranged and
    // compared locally).
    private static readonly HashSet<string> NeverForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Transfer-Encoding", "Upgrade", "Trailer",
        "Proxy-Authorization", "Host", "Content-Length", "Expect", "Via", "X-Forwarded-For",
        "Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
        ":method", ":path", ":scheme", ":authority", ":protocol",

        // CMCD is for this node (CTA-5004): the origin's answer must not depend on it.
        "CMCD-Request", "CMCD-Object", "CMCD-Status", "CMCD-Session",
    };

    /// <summary>A fill no client asked for (proactive fills, background work): nothing is forwarded.</summary>
    public static ForwardedRequest None { get; } = new([], new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), null, null);

    private ForwardedRequest(KeyValuePair<string, string[]>[] fields, Dictionary<string, string> all, string? via, string? forwardedFor)
    {
        Fields = fields;
        All = all;
        Via = via;
        ForwardedFor = forwardedFor;
    }

    /// <summary>Fields sent to the origin as the client sent them.</summary>
    public KeyValuePair<string, string[]>[] Fields { get; }

    /// <summary>Every field of the client's request, values joined, for choosing a variant (<c>Vary</c>).</summary>
    public Dictionary<string, string> All { get; }

    /// <summary>The client's <c>Via</c>, which the node's entry is appended to.</summary>
    public string? Via { get; }

    /// <summary>The client's <c>X-Forwarded-For</c> with the client's address appended.</summary>
    public string? ForwardedFor { get; }

    /// <summary>Whether the client sent credentials the origin saw (RFC 9111 §3.5).</summary>
    public bool HasAuthorization => Fields.Any(f => f.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase));

    public string? ValueOf(string name) => All.GetValueOrDefault(name);

    public static ForwardedRequest From(HttpRequest request, IReadOnlyCollection<string> stripped)
    {
        var headers = request.Headers;
        HashSet<string>? options = null;
        foreach (var connection in headers.Connection)
        {
            foreach (var name in (connection ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                (options ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase)).Add(name);
            }
        }

        var fields = new List<KeyValuePair<string, string[]>>(headers.Count);
        var all = new Dictionary<string, string>(headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in headers)
        {
            all[name] = values.ToString();
            if (NeverForwarded.Contains(name) || options?.Contains(name) == true || Contains(stripped, name))
            {
                continue;
            }

            fields.Add(new(name, values.ToArray()!));
        }

        var client = request.HttpContext.Connection.RemoteIpAddress?.ToString();
        var forwardedFor = headers["X-Forwarded-For"].ToString();
        return new ForwardedRequest(
            [.. fields],
            all,
            headers.Via.Count > 0 ? headers.Via.ToString() : null,
            client is null ? (forwardedFor.Length > 0 ? forwardedFor : null) : forwardedFor.Length > 0 ? forwardedFor + ", " + client : client);
    }

    private static bool Contains(IReadOnlyCollection<string> names, string name)
    {
        foreach (var candidate in names)
        {
            if (candidate.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
