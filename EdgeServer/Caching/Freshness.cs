using System.Globalization;

namespace Edge.EdgeServer.Caching;

/// <summary>How long a stored response stays fresh and how stale it may be served (RFC 9111 and RFC 5861), fixed when it is stored.</summary>
internal readonly record struct FreshnessRules(double LifetimeSeconds, double StaleWhileRevalidateSeconds, double StaleIfErrorSeconds, bool MustRevalidate);

/// <summary>Where a stored response stands now.</summary>
internal readonly record struct FreshnessState(double AgeSeconds, bool Fresh, bool MayServeWhileRevalidating, bool MayServeOnError);

/// <summary>RFC 9111 freshness for a shared cache.</summary>
internal static class Freshness
{
    /// <summary>Heuristic freshness is capped at a day, as most caches do.</summary>
    private const double HeuristicCapSeconds = 86_400;

    /// <summary>
    /// Rules for a response: <c>s-maxage</c>, else <c>max-age</c>, else <c>Expires</c> minus <c>Date</c>, else 10% of
    /// the time since <c>Last-Modified</c> (RFC 9111 §4.2.2). <c>no-cache</c> means stale at once.
    /// <c>must-revalidate</c>, <c>proxy-revalidate</c> and <c>s-maxage</c> forbid serving stale.
    /// </summary>
    public static FreshnessRules FromResponse(string? cacheControl, string? expires, DateTimeOffset? date, DateTimeOffset? lastModified, DateTimeOffset responseTime)
    {
        double? maxAge = null;
        double? sharedMaxAge = null;
        double swr = 0;
        double sie = 0;
        var noCache = false;
        var mustRevalidate = false;
        foreach (var (name, value) in Directives(cacheControl))
        {
            switch (name.ToUpperInvariant())
            {
                case "MAX-AGE":
                    maxAge = Seconds(value) ?? 0;
                    break;
                case "S-MAXAGE":
                    sharedMaxAge = Seconds(value) ?? 0;
                    mustRevalidate = true;
                    break;
                case "NO-CACHE":
                    noCache = true;
                    break;
                case "MUST-REVALIDATE" or "PROXY-REVALIDATE":
                    mustRevalidate = true;
                    break;
                case "STALE-WHILE-REVALIDATE":
                    swr = Seconds(value) ?? 0;
                    break;
                case "STALE-IF-ERROR":
                    sie = Seconds(value) ?? 0;
                    break;
            }
        }

        double lifetime;
        if (noCache)
        {
            lifetime = 0;
        }
        else if ((sharedMaxAge ?? maxAge) is { } explicitAge)
        {
            lifetime = explicitAge;
        }
        else if (expires is not null)
        {
            lifetime = DateTimeOffset.TryParseExact(expires, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? Math.Max(0, (at - (date ?? responseTime)).TotalSeconds)
                : 0;
        }
        else if (lastModified is { } modified)
        {
            lifetime = Math.Min(HeuristicCapSeconds, Math.Max(0, ((date ?? responseTime) - modified).TotalSeconds / 10));
        }
        else
        {
            lifetime = 0;
        }

        return new FreshnessRules(lifetime, swr, sie, mustRevalidate);
    }

    public static FreshnessState Evaluate(ObjectMetadata metadata, DateTimeOffset now)
    {
        var age = Math.Max(0, metadata.InitialAgeSeconds + (now - metadata.StoredAt).TotalSeconds);
        var stale = age - metadata.FreshSeconds;
        if (stale < 0)
        {
            return new FreshnessState(age, true, false, false);
        }

        var allowStale = !metadata.MustRevalidate;
        return new FreshnessState(
            age,
            false,
            allowStale && stale <= metadata.StaleWhileRevalidateSeconds,
            allowStale && stale <= metadata.StaleIfErrorSeconds);
    }

    /// <summary>Whether a response may be stored by a shared cache at all.</summary>
    public static bool AllowsStoring(string? cacheControl)
    {
        foreach (var (name, _) in Directives(cacheControl))
        {
            if (name.Equals("no-store", StringComparison.OrdinalIgnoreCase) || name.Equals("private", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<(string Name, string? Value)> Directives(string? cacheControl)
    {
        if (cacheControl is null)
        {
            yield break;
        }

        foreach (var part in cacheControl.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            yield return equals < 0 ? (part, null) : (part[..equals].TrimEnd(), part[(equals + 1)..].Trim().Trim('"'));
        }
    }

    // Delta-seconds (RFC 9111 §1.2.2); anything unparsable counts as 0, i.e. stale.
    private static double? Seconds(string? value) =>
        value is not null && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
}
