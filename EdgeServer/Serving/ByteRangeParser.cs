namespace Edge.EdgeServer.Serving;

internal enum RangeKind
{
    /// <summary>No Range header, or one to ignore (not bytes, malformed): serve the whole object.</summary>
    None,

    /// <summary>One satisfiable range: 206.</summary>
    Single,

    /// <summary>Several ranges, at least one satisfiable: served as the whole object (RFC 9110 §14.2 allows it).</summary>
    Multiple,

    /// <summary>Well-formed, but no range overlaps the object: 416.</summary>
    Unsatisfiable,
}

/// <summary>A resolved byte range: first byte and length, both within the object.</summary>
internal readonly record struct ByteRange(long Start, long Length)
{
    public long End => Start + Length - 1;
}

/// <summary>Parses RFC 9110 <c>Range: bytes=...</c> against an object's length without allocating.</summary>
internal static class ByteRangeParser
{
    // Past this many ranges a request is not a player's; it is served whole instead of parsed further.
    private const int MaxRanges = 32;

    public static RangeKind Parse(ReadOnlySpan<char> header, long length, out ByteRange range)
    {
        range = default;
        header = header.Trim();
        if (header.Length < 6 || !header[..5].Equals("bytes", StringComparison.OrdinalIgnoreCase))
        {
            return RangeKind.None;
        }

        var rest = header[5..].TrimStart();
        if (rest.IsEmpty || rest[0] != '=')
        {
            return RangeKind.None;
        }

        rest = rest[1..];
        var count = 0;
        var satisfiable = 0;
        while (true)
        {
            var comma = rest.IndexOf(',');
            var spec = (comma < 0 ? rest : rest[..comma]).Trim();
            rest = comma < 0 ? [] : rest[(comma + 1)..];

            // RFC 9110 list syntax tolerates empty elements ("bytes=0-1,,2-3").
            if (!spec.IsEmpty)
            {
                if (++count > MaxRanges)
                {
                    return RangeKind.None;
                }

                switch (ParseSpec(spec, length, out var candidate))
                {
                    case SpecResult.Invalid:
                        return RangeKind.None;
                    case SpecResult.Satisfiable:
                        if (++satisfiable == 1)
                        {
                            range = candidate;
                        }

                        break;
                }
            }

            if (comma < 0)
            {
                break;
            }
        }

        if (count == 0)
        {
            return RangeKind.None;
        }

        if (satisfiable == 0)
        {
            return RangeKind.Unsatisfiable;
        }

        return count == 1 ? RangeKind.Single : RangeKind.Multiple;
    }

    private enum SpecResult
    {
        Invalid,
        Satisfiable,
        Unsatisfiable,
    }

    private static SpecResult ParseSpec(ReadOnlySpan<char> spec, long length, out ByteRange range)
    {
        range = default;
        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return SpecResult.Invalid;
        }

        var first = spec[..dash].TrimEnd();
        var last = spec[(dash + 1)..].TrimStart();
        if (first.IsEmpty)
        {
            // Suffix range: the last N bytes.
            if (!TryParseDigits(last, out var suffix))
            {
                return SpecResult.Invalid;
            }

            if (suffix == 0 || length == 0)
            {
                return SpecResult.Unsatisfiable;
            }

            var take = Math.Min(suffix, length);
            range = new ByteRange(length - take, take);
            return SpecResult.Satisfiable;
        }

        if (!TryParseDigits(first, out var start))
        {
            return SpecResult.Invalid;
        }

        var end = long.MaxValue;
        if (!last.IsEmpty)
        {
            if (!TryParseDigits(last, out end) || end < start)
            {
                return SpecResult.Invalid;
            }
        }

        if (start >= length)
        {
            return SpecResult.Unsatisfiable;
        }

        end = Math.Min(end, length - 1);
        range = new ByteRange(start, end - start + 1);
        return SpecResult.Satisfiable;
    }

    private static bool TryParseDigits(ReadOnlySpan<char> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > 18)
        {
            return false;
        }

        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
