using System.Text;
using Edge.EdgeServer.Configuration;

namespace Edge.EdgeServer.Serving;

/// <summary>
/// Turns a request's path and query into its cache key (<c>Edge:CacheKey:*</c>): by default the path and the query as
/// sent, so <c>seg.m4s?token=A</c> and <c>?token=B</c> are two objects; per path prefix the query can be ignored,
/// sorted, cut to listed parameters or rid of listed ones; the <c>CMCD</c> parameter never is part of it. The key's
/// query is also what the origin is sent, so a stored response never depends on a parameter the key left out.
/// </summary>
internal sealed class CacheKeyPolicy
{
    private const string CmcdParameter = Cmcd.CmcdData.QueryName + "=";

    private readonly Rule _default;
    private readonly Rule[] _rules;

    public CacheKeyPolicy(CacheKeyOptions options)
    {
        _default = new Rule("", options.Query, options.KeepParameters, options.DropParameters);

        // Longest prefix first, so the most specific rule wins.
        _rules = [.. options.Rules.Select(r => new Rule(r.Prefix, r.Query, r.KeepParameters, r.DropParameters)).OrderByDescending(r => r.Prefix.Length)];
    }

    /// <summary>The key for <paramref name="path"/> (already checked) and <paramref name="query"/> (raw, with its <c>?</c>, or empty).</summary>
    public string KeyFor(string path, string? query)
    {
        if (string.IsNullOrEmpty(query) || query == "?")
        {
            return path;
        }

        var rule = _default;
        foreach (var candidate in _rules)
        {
            if (path.StartsWith(candidate.Prefix, StringComparison.Ordinal))
            {
                rule = candidate;
                break;
            }
        }

        if (rule.Mode == QueryModes.Ignore)
        {
            return path;
        }

        // CMCD describes the player, not the object: never in the key, and so never sent to the origin.
        if (rule.Mode == QueryModes.Keep && rule.Keep.Count == 0 && rule.Drop.Count == 0 && !query.Contains(CmcdParameter, StringComparison.Ordinal))
        {
            return path + query;
        }

        var parameters = new List<string>();
        foreach (var parameter in query.AsSpan(1).Split('&'))
        {
            var text = query.AsSpan(1)[parameter];
            if (text.IsEmpty)
            {
                continue;
            }

            var equals = text.IndexOf('=');
            var name = (equals < 0 ? text : text[..equals]).ToString();
            if ((rule.Keep.Count > 0 && !rule.Keep.Contains(name)) || rule.Drop.Contains(name) || name == Cmcd.CmcdData.QueryName)
            {
                continue;
            }

            parameters.Add(text.ToString());
        }

        if (parameters.Count == 0)
        {
            return path;
        }

        if (rule.Mode == QueryModes.Sort)
        {
            // By name, then by the whole parameter, so repeated names keep a stable order.
            parameters.Sort((a, b) => NameOf(a).CompareTo(NameOf(b), StringComparison.Ordinal) is var byName and not 0 ? byName : string.CompareOrdinal(a, b));
        }

        var key = new StringBuilder(path.Length + query.Length).Append(path).Append('?');
        for (var i = 0; i < parameters.Count; i++)
        {
            key.Append(i == 0 ? "" : "&").Append(parameters[i]);
        }

        return key.ToString();
    }

    /// <summary>The path part of a key.</summary>
    public static ReadOnlySpan<char> PathOf(string key)
    {
        var query = key.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? key : key.AsSpan(0, query);
    }

    private static ReadOnlySpan<char> NameOf(string parameter)
    {
        var equals = parameter.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? parameter : parameter.AsSpan(0, equals);
    }

    private sealed class Rule(string prefix, string mode, IList<string> keep, IList<string> drop)
    {
        public string Prefix { get; } = prefix;

        public string Mode { get; } = QueryModes.Normalise(mode);

        public HashSet<string> Keep { get; } = new(keep, StringComparer.Ordinal);

        public HashSet<string> Drop { get; } = new(drop, StringComparer.Ordinal);
    }
}
