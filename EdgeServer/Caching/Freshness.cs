using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace Edge.EdgeServer.Caching;

/// <summary>How long a stored response stays fresh and how stale it may be served (RFC 9111 and RFC 5861), fixed when it is stored.</summary>
internal readonly record struct FreshnessRules(double LifetimeSeconds, double StaleWhileRevalidateSeconds, double StaleIfErrorSeconds, bool MustRevalidate, bool Explicit = true);

/// <summary>Where a stored response stands now.</summary>
internal readonly record struct FreshnessState(double AgeSeconds, bool Fresh, bool MayServeWhileRevalidating, bool MayServeOnError);

/// <summary>The freshness-related fields of a response, as the origin sent them.</summary>
internal readonly record struct ResponseCaching(
    int Status,
    string? CacheControl,
    string? TargetedCacheControl,
    string? Expires,
    string? Date,
    string? LastModified,
    bool HasAuthorization = false,
    string? Target = null);

/// <summary>RFC 9111 freshness and storability for a shared cache.</summary>
internal static class Freshness
{
    /// <summary>Heuristic freshness is capped at a day, as most caches do.</summary>
    private const double HeuristicCapSeconds = 86_400;

    // RFC 9110 §15.1: statuses a cache may store with heuristic freshness.
    private static readonly HashSet<int> HeuristicallyCacheable = [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501];

    // Final statuses the node understands (for must-understand, RFC 9111 §5.2.2.3).
    private static readonly HashSet<int> Understood = [200, 203, 204, 300, 301, 302, 303, 307, 308, 400, 403, 404, 405, 410, 414, 451, 500, 501, 502, 503, 504];

    /// <summary>
    /// Rules for a response: the node's targeted field (<c>CDN-Cache-Control</c> or <c>Surrogate-Control</c>, RFC 9213)
    /// wins over <c>Cache-Control</c> when present; then <c>s-maxage</c>, <c>max-age</c>, <c>Expires</c> minus <c>Date</c>,
    /// else 10% of the time since <c>Last-Modified</c> for heuristically cacheable statuses, else
    /// <paramref name="negativeTtl"/> for 404 and 410 (RFC 9111 §4.2). <c>no-cache</c> in any form means stale at once.
    /// </summary>
    public static FreshnessRules FromResponse(in ResponseCaching response, DateTimeOffset responseTime, TimeSpan negativeTtl = default)
    {
        var directives = response.TargetedCacheControl is { } targetedField ? Parse(targetedField, response.Target) : Parse(response.CacheControl);
        var date = ParseDate(response.Date) ?? responseTime;
        double lifetime;
        var isExplicit = true;
        if (directives.NoCache)
        {
            lifetime = 0;
        }
        else if ((directives.SharedMaxAge ?? directives.MaxAge) is { } explicitAge)
        {
            lifetime = explicitAge;
        }
        else if (response.TargetedCacheControl is null && response.Expires is not null)
        {
            // An invalid Expires (e.g. "0") means already expired (RFC 9111 §5.3).
            lifetime = ParseDate(response.Expires) is { } at ? Math.Max(0, (at - date).TotalSeconds) : 0;
        }
        else
        {
            isExplicit = false;
            if (!HeuristicallyCacheable.Contains(response.Status) && !directives.Public)
            {
                lifetime = 0;
            }
            else if (ParseDate(response.LastModified) is { } modified)
            {
                lifetime = Math.Min(HeuristicCapSeconds, Math.Max(0, (date - modified).TotalSeconds / 10));
            }
            else
            {
                lifetime = response.Status is 404 or 410 ? negativeTtl.TotalSeconds : 0;
            }
        }

        return new FreshnessRules(lifetime, directives.StaleWhileRevalidate, directives.StaleIfError, directives.MustRevalidate, isExplicit);
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

    /// <summary>
    /// Whether a shared cache may store the response at all (RFC 9111 §3): a final status, no <c>no-store</c> or
    /// <c>private</c>, a status understood when <c>must-understand</c> is set, an <c>Authorization</c> request only
    /// when the response allows it (§3.5), and freshness that is explicit or allowed by heuristics.
    /// </summary>
    public static bool AllowsStoring(in ResponseCaching response, in FreshnessRules rules)
    {
        if (response.Status is < 200 or 206 or 304)
        {
            return false;
        }

        var shared = Parse(response.CacheControl);
        var targeted = response.TargetedCacheControl is null ? shared : Parse(response.TargetedCacheControl, response.Target);
        if (targeted.NoStore && !(targeted.MustUnderstand && Understood.Contains(response.Status)))
        {
            return false;
        }

        if (targeted.MustUnderstand && !Understood.Contains(response.Status))
        {
            return false;
        }

        if (shared.Private)
        {
            return false;
        }

        if (response.Status is 500 or 502 or 503 or 504 && response.TargetedCacheControl is null && shared.SharedMaxAge is null)
        {
            // A transient server error is kept only when the origin addresses caches directly: a blanket max-age on
            // every response would otherwise pin an outage on every player for that long.
            return false;
        }

        if (response.HasAuthorization && !(shared.Public || shared.SharedMaxAge is not null || shared.MustRevalidate))
        {
            return false;
        }

        return rules.Explicit || HeuristicallyCacheable.Contains(response.Status) || targeted.Public || shared.Public;
    }

    /// <summary>Whether a response with this <c>Cache-Control</c> may be stored (no <c>no-store</c>, no <c>private</c>).</summary>
    public static bool AllowsStoring(string? cacheControl)
    {
        var directives = Parse(cacheControl);
        return !directives.NoStore && !directives.Private;
    }

    // A targeted field's directives may name the device they are for ("max-age=60;edge-1", Edge Architecture 1.0):
    // those for another device are skipped.
    private static Directives Parse(string? value, string? target = null)
    {
        var d = default(Directives);
        if (value is null)
        {
            return d;
        }

        foreach (var directive in SplitList(value))
        {
            var part = directive;
            var semicolon = part.IndexOf(';', StringComparison.Ordinal);
            if (semicolon >= 0 && target is not null)
            {
                if (!part[(semicolon + 1)..].Trim().Equals(target, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                part = part[..semicolon];
            }

            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = (equals < 0 ? part : part[..equals]).Trim();
            var argument = equals < 0 ? null : part[(equals + 1)..].Trim();
            switch (name.ToUpperInvariant())
            {
                case "MAX-AGE":
                    d.MaxAge = Seconds(argument) ?? d.MaxAge ?? 0;
                    break;
                case "S-MAXAGE":
                    d.SharedMaxAge = Seconds(argument) ?? d.SharedMaxAge ?? 0;
                    d.MustRevalidate = true;
                    break;
                case "NO-CACHE":
                    // With field names too: treating it as unqualified is allowed (RFC 9111 §5.2.2.4) and never serves a stale field.
                    d.NoCache = true;
                    break;
                case "NO-STORE":
                    d.NoStore = true;
                    break;
                case "PRIVATE":
                    // Qualified private only forbids storing those fields; this cache does not store it at all either way.
                    d.Private = true;
                    break;
                case "PUBLIC":
                    d.Public = true;
                    break;
                case "MUST-UNDERSTAND":
                    d.MustUnderstand = true;
                    break;
                case "MUST-REVALIDATE" or "PROXY-REVALIDATE":
                    d.MustRevalidate = true;
                    break;
                case "STALE-WHILE-REVALIDATE":
                    d.StaleWhileRevalidate = Seconds(argument) ?? 0;
                    break;
                case "STALE-IF-ERROR":
                    d.StaleIfError = Seconds(argument) ?? 0;
                    break;
            }
        }

        return d;
    }

    // Splits a directive list at commas outside quoted strings.
    private static List<string> SplitList(string value)
    {
        var parts = new List<string>();
        var start = 0;
        var quoted = false;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '\\' && quoted)
            {
                i++;
            }
            else if (c == ',' && !quoted)
            {
                Add(value[start..i]);
                start = i + 1;
            }
        }

        Add(value[start..]);
        return parts;

        void Add(string part)
        {
            part = part.Trim();
            if (part.Length > 0)
            {
                parts.Add(part);
            }
        }
    }

    /// <summary>An HTTP-date in any of the three forms RFC 9110 §5.6.7 requires recipients to accept.</summary>
    public static DateTimeOffset? ParseDate(string? value) =>
        value is not null && HeaderUtilities.TryParseDate(value.Trim(), out var date) ? date : null;

    // Delta-seconds (RFC 9111 §1.2.2): digits only, quotes tolerated, overflow capped; anything else is invalid.
    private static double? Seconds(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var text = value.Trim();
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            text = text[1..^1];
        }

        if (text.Length == 0 || !text.All(char.IsAsciiDigit))
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds : int.MaxValue;
    }

    private struct Directives
    {
        public double? MaxAge;
        public double? SharedMaxAge;
        public double StaleWhileRevalidate;
        public double StaleIfError;
        public bool NoCache;
        public bool NoStore;
        public bool Private;
        public bool Public;
        public bool MustUnderstand;
        public bool MustRevalidate;
    }
}

