namespace Edge.EdgeServer.Configuration;

/// <summary>What a cache key keeps of a request's query (<c>Edge:CacheKey:Query</c>).</summary>
public static class QueryModes
{
    /// <summary>The query as sent (less dropped parameters): the default, and what RFC 9111 keys on.</summary>
    public const string Keep = nameof(Keep);

    /// <summary>Parameters sorted by name, so <c>?a=1&amp;b=2</c> and <c>?b=2&amp;a=1</c> are one object.</summary>
    public const string Sort = nameof(Sort);

    /// <summary>No query: every query of a path is one object, and the origin is sent none.</summary>
    public const string Ignore = nameof(Ignore);

    /// <summary>Every known mode.</summary>
    public static IReadOnlyList<string> All { get; } = [Keep, Sort, Ignore];

    /// <summary>Whether <paramref name="name"/> names a mode (case-insensitive).</summary>
    public static bool IsKnown(string? name) => All.Any(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The mode's canonical spelling; unknown names (refused at start-up) read as <see cref="Keep"/>.</summary>
    public static string Normalise(string? name) => All.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase)) ?? Keep;
}
