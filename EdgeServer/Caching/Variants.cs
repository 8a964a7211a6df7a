using System.Text;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// Secondary cache keys for responses with <c>Vary</c> (RFC 9111 §4.1): a variant is stored under its object's key
/// plus the normalised values of the request fields the response varies by.
/// </summary>
internal static class Variants
{
    /// <summary>The field names of a <c>Vary</c> value, lower case, in order; null for none; <c>["*"]</c> for <c>*</c>.</summary>
    public static string[]? Names(string? vary)
    {
        if (string.IsNullOrWhiteSpace(vary))
        {
            return null;
        }

        var names = vary.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(n => n.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        if (names.Contains("*"))
        {
            return ["*"];
        }

        return names.Length == 0 ? null : names;
    }

    /// <summary>The key of the variant a request with these field values selects.</summary>
    public static string KeyFor(string key, string[] names, Func<string, string?> valueOf)
    {
        var builder = new StringBuilder(key.Length + 32).Append(key);
        foreach (var name in names)
        {
            builder.Append('\n').Append(name).Append(':').Append(Normalize(name, valueOf(name)));
        }

        return builder.ToString();
    }

    /// <summary>The object's key of a variant's key.</summary>
    public static string BaseOf(string key)
    {
        var newline = key.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? key : key[..newline];
    }

    /// <summary>
    /// A request value in the form that selects a variant: whitespace around list members removed; for
    /// <c>Accept-Encoding</c> only the codings the client accepts of those origins use (br, gzip, zstd), so the many
    /// spellings browsers and players send map to a few variants.
    /// </summary>
    public static string Normalize(string name, string? value)
    {
        if (value is null)
        {
            return "";
        }

        if (name == "accept-encoding")
        {
            var accepted = new List<string>(3);
            foreach (var member in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var semicolon = member.IndexOf(';', StringComparison.Ordinal);
                var coding = (semicolon < 0 ? member : member[..semicolon]).Trim().ToLowerInvariant();
                var refused = semicolon >= 0 && member[(semicolon + 1)..].Replace(" ", "", StringComparison.Ordinal) is var q
                    && (q.Equals("q=0", StringComparison.OrdinalIgnoreCase) || q.StartsWith("q=0.0", StringComparison.OrdinalIgnoreCase) && q.TrimEnd('0') == "q=0.");
                if (!refused && coding is "br" or "gzip" or "zstd" && !accepted.Contains(coding))
                {
                    accepted.Add(coding);
                }
            }

            accepted.Sort(StringComparer.Ordinal);
            return string.Join(',', accepted);
        }

        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        return string.Join(',', parts).Replace('\n', ' ');
    }
}
