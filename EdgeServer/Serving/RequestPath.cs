namespace Edge.EdgeServer.Serving;

internal enum PathCheck
{
    Ok,
    BadRequest,
    NotFound,
    TooLong,
}

/// <summary>
/// Decides whether a request path may become a cache key. Kestrel has already decoded it and removed
/// dot segments; the raw target is checked too so that traversal attempts are refused outright
/// rather than silently rewritten. The key is the decoded path itself, so a valid path allocates nothing.
/// </summary>
internal static class RequestPath
{
    public static PathCheck Check(string? path, ReadOnlySpan<char> rawTarget, int maxLength)
    {
        if (rawTarget.Length > maxLength || path?.Length > maxLength)
        {
            return PathCheck.TooLong;
        }

        if (string.IsNullOrEmpty(path) || path == "/")
        {
            return PathCheck.NotFound;
        }

        if (!IsCleanRawTarget(rawTarget))
        {
            return PathCheck.BadRequest;
        }

        var span = path.AsSpan();
        if (span[0] != '/' || span[^1] == '/')
        {
            return span[0] != '/' ? PathCheck.BadRequest : PathCheck.NotFound;
        }

        var segmentStart = 1;
        for (var i = 1; i <= span.Length; i++)
        {
            if (i < span.Length && span[i] != '/')
            {
                if (!IsAllowed(span[i]))
                {
                    return PathCheck.BadRequest;
                }

                continue;
            }

            var segment = span[segmentStart..i];
            if (segment.IsEmpty || segment is "." or "..")
            {
                return PathCheck.BadRequest;
            }

            segmentStart = i + 1;
        }

        return PathCheck.Ok;
    }

    private static bool IsCleanRawTarget(ReadOnlySpan<char> raw)
    {
        var query = raw.IndexOf('?');
        if (query >= 0)
        {
            raw = raw[..query];
        }

        if (raw.Contains("/../", StringComparison.Ordinal) || raw.Contains("/./", StringComparison.Ordinal)
            || raw.EndsWith("/..", StringComparison.Ordinal) || raw.EndsWith("/.", StringComparison.Ordinal)
            || raw.Contains('\\'))
        {
            return false;
        }

        // Encoded dots, slashes, backslashes and NULs have no business in a segment name.
        for (var i = raw.IndexOf('%'); i >= 0; i = raw.IndexOf('%'))
        {
            if (i + 2 >= raw.Length)
            {
                return false;
            }

            var encoded = raw.Slice(i + 1, 2);
            if (encoded.Equals("2e", StringComparison.OrdinalIgnoreCase) || encoded.Equals("2f", StringComparison.OrdinalIgnoreCase)
                || encoded.Equals("5c", StringComparison.OrdinalIgnoreCase) || encoded.Equals("00", StringComparison.Ordinal))
            {
                return false;
            }

            raw = raw[(i + 3)..];
        }

        return true;
    }

    // RFC 3986 pchar without '%' (already decoded) and without characters that need quoting in a URL.
    private static bool IsAllowed(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '!' or '$' or '&' or '\'' or '(' or ')'
            or '*' or '+' or ',' or ';' or '=' or ':' or '@';
}
