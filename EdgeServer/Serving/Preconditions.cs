using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Edge.EdgeServer.Serving;

internal enum PreconditionResult
{
    /// <summary>Serve the representation.</summary>
    Proceed,

    /// <summary>304: the client's copy is current.</summary>
    NotModified,

    /// <summary>412: a precondition on the current representation failed.</summary>
    Failed,
}

/// <summary>RFC 9110 §13.2.2 evaluation of conditional headers against the cached object's validators.</summary>
internal static class Preconditions
{
    public static PreconditionResult Evaluate(IHeaderDictionary headers, string? etag, DateTimeOffset lastModified)
    {
        var ifMatch = headers.IfMatch;
        if (!StringValues.IsNullOrEmpty(ifMatch))
        {
            if (!ListMatches(ifMatch, etag, weak: false))
            {
                return PreconditionResult.Failed;
            }
        }
        else if (TryParseDate(headers.IfUnmodifiedSince, out var unmodifiedSince) && lastModified > unmodifiedSince)
        {
            return PreconditionResult.Failed;
        }

        var ifNoneMatch = headers.IfNoneMatch;
        if (!StringValues.IsNullOrEmpty(ifNoneMatch))
        {
            return ListMatches(ifNoneMatch, etag, weak: true) ? PreconditionResult.NotModified : PreconditionResult.Proceed;
        }

        if (TryParseDate(headers.IfModifiedSince, out var modifiedSince) && lastModified <= modifiedSince)
        {
            return PreconditionResult.NotModified;
        }

        return PreconditionResult.Proceed;
    }

    /// <summary>Whether a Range may be honoured given <c>If-Range</c> (absent means yes).</summary>
    public static bool IfRangeAllows(StringValues ifRange, string? etag, DateTimeOffset lastModified)
    {
        if (StringValues.IsNullOrEmpty(ifRange))
        {
            return true;
        }

        var value = ifRange.ToString().AsSpan().Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            return false;
        }

        if (value.StartsWith('"'))
        {
            // If-Range needs the strong comparison.
            return etag is not null && value.SequenceEqual(etag);
        }

        return TryParseDate(ifRange, out var date) && date == lastModified;
    }

    /// <summary>Matches an entity-tag list (or <c>*</c>) against <paramref name="etag"/>.</summary>
    public static bool ListMatches(StringValues list, string? etag, bool weak)
    {
        foreach (var value in list)
        {
            var span = value.AsSpan();
            while (!span.IsEmpty)
            {
                span = span.TrimStart(" \t,");
                if (span.IsEmpty)
                {
                    break;
                }

                if (span[0] == '*')
                {
                    return true;
                }

                var isWeak = span.StartsWith("W/", StringComparison.Ordinal);
                if (isWeak)
                {
                    span = span[2..];
                }

                if (span.IsEmpty || span[0] != '"')
                {
                    return false;
                }

                var close = span[1..].IndexOf('"');
                if (close < 0)
                {
                    return false;
                }

                var tag = span[..(close + 2)];
                var stored = etag.AsSpan();
                var storedWeak = stored.StartsWith("W/", StringComparison.Ordinal);
                if (storedWeak)
                {
                    stored = stored[2..];
                }

                // Weak comparison ignores W/ on either side; strong needs both strong (RFC 9110 §8.8.3.2).
                if (etag is not null && (weak || (!isWeak && !storedWeak)) && tag.SequenceEqual(stored))
                {
                    return true;
                }

                span = span[(close + 2)..];
            }
        }

        return false;
    }

    private static bool TryParseDate(StringValues value, out DateTimeOffset date)
    {
        date = default;
        return value.Count == 1 && HeaderUtilities.TryParseDate(value[0], out date);
    }
}
