using System.Net.Http.Headers;
using Microsoft.Extensions.Primitives;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// The header fields of a stored response: what is kept of an origin's answer (RFC 9111 §3.1), how a 304 updates
/// them (§4.3.4), and how they are grouped for sending.
/// </summary>
internal static class StoredFields
{
    // Hop-by-hop fields (RFC 9110 §7.6.1) and the framing and cache fields the node computes for each response.
    private static readonly HashSet<string> NotStored = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Transfer-Encoding", "Upgrade", "Trailer",
        "Content-Length", "Age", "Cache-Status",
    };

    // Fields a 304 must not change in the stored response: they describe the stored body (RFC 9111 §3.2), and the
    // ETag is the validator the 304 confirmed.
    private static readonly HashSet<string> KeptOn304 = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Length", "Content-Encoding", "Content-Range", "Transfer-Encoding", "Content-MD5", "ETag",
    };

    /// <summary>The end-to-end fields of an origin response as flat name, value pairs, with <paramref name="via"/> appended to <c>Via</c>.</summary>
    public static string[] Collect(HttpResponseMessage response, string via)
    {
        var dropped = ConnectionOptions(response.Headers);
        var fields = new List<string>(32);
        var sawVia = false;
        Add(response.Headers.NonValidated, fields, dropped, via, ref sawVia);
        Add(response.Content.Headers.NonValidated, fields, dropped, via, ref sawVia);
        if (!sawVia)
        {
            fields.Add("Via");
            fields.Add(via);
        }

        return [.. fields];
    }

    /// <summary>The first value of <paramref name="name"/>, or null.</summary>
    public static string? Get(string[]? fields, string name)
    {
        if (fields is null)
        {
            return null;
        }

        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            if (fields[i].Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return fields[i + 1];
            }
        }

        return null;
    }

    /// <summary>All values of <paramref name="name"/> joined with <c>", "</c> as a list field is, or null.</summary>
    public static string? GetList(string[]? fields, string name)
    {
        string? joined = null;
        for (var i = 0; fields is not null && i + 1 < fields.Length; i += 2)
        {
            if (fields[i].Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                joined = joined is null ? fields[i + 1] : joined + ", " + fields[i + 1];
            }
        }

        return joined;
    }

    /// <summary>The fields with every <paramref name="name"/> replaced by one field of <paramref name="value"/>, where the first stood.</summary>
    public static string[] Replace(string[] fields, string name, string value)
    {
        var result = new List<string>(fields.Length + 2);
        var placed = false;
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            if (!fields[i].Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                result.Add(fields[i]);
                result.Add(fields[i + 1]);
            }
            else if (!placed)
            {
                result.Add(fields[i]);
                result.Add(value);
                placed = true;
            }
        }

        if (!placed)
        {
            result.Add(name);
            result.Add(value);
        }

        return [.. result];
    }

    /// <summary>
    /// The stored fields updated by a 304's: every field the 304 carries replaces the stored field of that name,
    /// except those that describe the stored body.
    /// </summary>
    public static string[] Merge(string[] stored, string[] update)
    {
        var replaced = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i + 1 < update.Length; i += 2)
        {
            if (!KeptOn304.Contains(update[i]))
            {
                replaced.Add(update[i]);
            }
        }

        var merged = new List<string>(stored.Length + update.Length);
        for (var i = 0; i + 1 < stored.Length; i += 2)
        {
            if (!replaced.Contains(stored[i]))
            {
                merged.Add(stored[i]);
                merged.Add(stored[i + 1]);
            }
        }

        for (var i = 0; i + 1 < update.Length; i += 2)
        {
            if (replaced.Contains(update[i]))
            {
                merged.Add(update[i]);
                merged.Add(update[i + 1]);
            }
        }

        return [.. merged];
    }

    /// <summary>One entry per field name, in the order names first appear, each with its values in order.</summary>
    public static KeyValuePair<string, StringValues>[] Group(string[] fields)
    {
        var order = new List<string>();
        var values = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            if (!values.TryGetValue(fields[i], out var list))
            {
                values[fields[i]] = list = [];
                order.Add(fields[i]);
            }

            list.Add(fields[i + 1]);
        }

        return [.. order.Select(name => new KeyValuePair<string, StringValues>(name, values[name].Count == 1 ? new StringValues(values[name][0]) : new StringValues([.. values[name]])))];
    }

    private static HashSet<string>? ConnectionOptions(HttpResponseHeaders headers)
    {
        if (!headers.NonValidated.TryGetValues("Connection", out var values))
        {
            return null;
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in values)
        {
            foreach (var name in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                names.Add(name);
            }
        }

        return names;
    }

    private static void Add(HttpHeadersNonValidated headers, List<string> fields, HashSet<string>? dropped, string via, ref bool sawVia)
    {
        foreach (var (name, values) in headers)
        {
            if (NotStored.Contains(name) || dropped?.Contains(name) == true)
            {
                continue;
            }

            var isVia = name.Equals("Via", StringComparison.OrdinalIgnoreCase);
            var count = 0;
            var total = values.Count;
            foreach (var value in values)
            {
                count++;
                fields.Add(name);
                // The node is the last recipient: it appends itself to the last Via field (RFC 9110 §7.6.3).
                fields.Add(isVia && count == total ? value + ", " + via : value);
            }

            sawVia |= isVia;
        }
    }
}
