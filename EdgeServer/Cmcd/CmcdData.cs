using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Edge.EdgeServer.Cmcd;

/// <summary>
/// Common Media Client Data (CTA-5004) a player sent with a request, from the <c>CMCD</c> query parameter or the
/// <c>CMCD-Request</c>, <c>-Object</c>, <c>-Status</c> and <c>-Session</c> headers. Input from outside: a value of the
/// wrong type, out of range or too long is ignored, never an error, and the whole payload is bounded.
/// </summary>
internal sealed class CmcdData
{
    /// <summary>The longest payload read; players send a few hundred characters.</summary>
    public const int MaxLength = 2048;

    /// <summary>The longest string value kept (the spec's limit for <c>sid</c> and <c>cid</c>).</summary>
    public const int MaxStringLength = 64;

    /// <summary>The longest <c>nor</c> kept: a relative URL.</summary>
    public const int MaxUrlLength = 512;

    public const string QueryName = "CMCD";

    private static readonly string[] HeaderNames = ["CMCD-Request", "CMCD-Object", "CMCD-Status", "CMCD-Session"];

    /// <summary>Encoded bitrate of the object, kbit/s (<c>br</c>).</summary>
    public int? Bitrate { get; private set; }

    /// <summary>Buffer length, ms (<c>bl</c>).</summary>
    public int? BufferLength { get; private set; }

    /// <summary>The buffer ran empty since the last request (<c>bs</c>).</summary>
    public bool BufferStarvation { get; private set; }

    /// <summary>Content id (<c>cid</c>).</summary>
    public string? ContentId { get; private set; }

    /// <summary>Object duration, ms (<c>d</c>).</summary>
    public int? Duration { get; private set; }

    /// <summary>Deadline, ms (<c>dl</c>).</summary>
    public int? Deadline { get; private set; }

    /// <summary>Measured throughput, kbit/s (<c>mtp</c>).</summary>
    public int? MeasuredThroughput { get; private set; }

    /// <summary>Next object request: the URL of the object the player will ask for next, relative to this one (<c>nor</c>).</summary>
    public string? NextObject { get; private set; }

    /// <summary>Object type: m, a, v, av, i, c, tt, k or o (<c>ot</c>).</summary>
    public string? ObjectType { get; private set; }

    /// <summary>Playback rate (<c>pr</c>).</summary>
    public double? PlaybackRate { get; private set; }

    /// <summary>Requested maximum throughput, kbit/s (<c>rtp</c>).</summary>
    public int? RequestedThroughput { get; private set; }

    /// <summary>Streaming format: d (DASH), h (HLS), s (Smooth) or o (<c>sf</c>).</summary>
    public string? StreamingFormat { get; private set; }

    /// <summary>Session id (<c>sid</c>).</summary>
    public string? SessionId { get; private set; }

    /// <summary>Stream type: v (VOD) or l (live) (<c>st</c>).</summary>
    public string? StreamType { get; private set; }

    /// <summary>The object is needed to start or resume playback (<c>su</c>).</summary>
    public bool Startup { get; private set; }

    /// <summary>Top bitrate of the ladder, kbit/s (<c>tb</c>).</summary>
    public int? TopBitrate { get; private set; }

    /// <summary>CMCD version (<c>v</c>); 1 when absent.</summary>
    public int? Version { get; private set; }

    /// <summary>Whether any key was understood.</summary>
    public bool IsEmpty { get; private set; } = true;

    /// <summary>
    /// Whether <paramref name="request"/> carries CMCD at all: a <c>CMCD</c> query parameter or any CMCD header. Cheap,
    /// for the hot path.
    /// </summary>
    public static bool IsPresent(HttpRequest request)
    {
        var query = request.QueryString.Value;
        if (query is not null && query.Contains("CMCD=", StringComparison.Ordinal))
        {
            return true;
        }

        var headers = request.Headers;
        foreach (var name in HeaderNames)
        {
            if (headers.ContainsKey(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The request's CMCD, from its query if it has the parameter, else its headers; null when there is none.</summary>
    public static CmcdData? From(HttpRequest request)
    {
        var data = new CmcdData();
        if (QueryValue(request.QueryString.Value) is { } fromQuery)
        {
            data.Parse(fromQuery);
        }
        else
        {
            foreach (var name in HeaderNames)
            {
                foreach (var value in request.Headers[name])
                {
                    if (value is not null)
                    {
                        data.Parse(value);
                    }
                }
            }
        }

        return data.IsEmpty ? null : data;
    }

    /// <summary>Parses one payload (<c>br=3200,bs,sid="6e2f..."</c>), as sent in the query or a header.</summary>
    public static CmcdData Parse(string payload, CmcdData? into = null)
    {
        var data = into ?? new CmcdData();
        data.Parse(payload);
        return data;
    }

    /// <summary>The decoded value of the query's <c>CMCD</c> parameter, or null.</summary>
    public static string? QueryValue(string? query)
    {
        if (string.IsNullOrEmpty(query))
        {
            return null;
        }

        var text = query.AsSpan(query[0] == '?' ? 1 : 0);
        foreach (var range in text.Split('&'))
        {
            var parameter = text[range];
            if (parameter.StartsWith(QueryName + "=", StringComparison.Ordinal))
            {
                var raw = parameter[(QueryName.Length + 1)..];
                if (raw.Length > MaxLength * 3)
                {
                    return null;
                }

                try
                {
                    return Uri.UnescapeDataString(raw.ToString().Replace('+', ' '));
                }
                catch (UriFormatException)
                {
                    return null;
                }
            }
        }

        return null;
    }

    private void Parse(string payload)
    {
        if (payload.Length > MaxLength)
        {
            return;
        }

        var i = 0;
        while (i < payload.Length)
        {
            while (i < payload.Length && payload[i] is ' ' or ',')
            {
                i++;
            }

            var keyStart = i;
            while (i < payload.Length && payload[i] is not ('=' or ','))
            {
                i++;
            }

            var key = payload.AsSpan(keyStart, i - keyStart).Trim();
            string? value = null;
            var quoted = false;
            if (i < payload.Length && payload[i] == '=')
            {
                i++;
                if (i < payload.Length && payload[i] == '"')
                {
                    quoted = true;
                    var text = new StringBuilder();
                    i++;
                    var closed = false;
                    while (i < payload.Length)
                    {
                        var c = payload[i++];
                        if (c == '\\' && i < payload.Length)
                        {
                            text.Append(payload[i++]);
                        }
                        else if (c == '"')
                        {
                            closed = true;
                            break;
                        }
                        else
                        {
                            text.Append(c);
                        }
                    }

                    value = closed ? text.ToString() : null;
                    while (i < payload.Length && payload[i] != ',')
                    {
                        i++;
                    }
                }
                else
                {
                    var valueStart = i;
                    while (i < payload.Length && payload[i] != ',')
                    {
                        i++;
                    }

                    value = BareItem(payload.AsSpan(valueStart, i - valueStart), out quoted);
                }

                if (value is null)
                {
                    continue;
                }
            }

            Set(key, value, quoted);
        }
    }

    /// <summary>
    /// An unquoted value without its Structured Field parameters (<c>;r=...</c>); of an inner list (<c>(3200 1600)</c>,
    /// as CMCD version 2 sends some keys) the first item.
    /// </summary>
    private static string? BareItem(ReadOnlySpan<char> value, out bool quoted)
    {
        quoted = false;
        value = value.Trim();
        if (value.StartsWith('('))
        {
            value = value[1..];
            if (value.StartsWith('"'))
            {
                var close = value[1..].IndexOf('"');
                quoted = close >= 0;
                return quoted ? value.Slice(1, close).ToString() : null;
            }

            var end = value.IndexOfAny(' ', ')');
            value = end < 0 ? [] : value[..end];
        }

        var parameters = value.IndexOf(';');
        if (parameters >= 0)
        {
            value = value[..parameters];
        }

        return value.IsEmpty ? null : value.ToString();
    }

    private void Set(ReadOnlySpan<char> key, string? value, bool quoted)
    {
        var understood = key switch
        {
            "br" => Integer(value, quoted, v => Bitrate = v),
            "bl" => Integer(value, quoted, v => BufferLength = v),
            "bs" => Flag(value, v => BufferStarvation = v),
            "cid" => Text(value, quoted, MaxStringLength, v => ContentId = v),
            "d" => Integer(value, quoted, v => Duration = v),
            "dl" => Integer(value, quoted, v => Deadline = v),
            "mtp" => Integer(value, quoted, v => MeasuredThroughput = v),
            "nor" => Text(value, quoted, MaxUrlLength, v => NextObject = v),
            "ot" => Token(value, quoted, ["m", "a", "v", "av", "i", "c", "tt", "k", "o"], v => ObjectType = v),
            "pr" => Decimal(value, quoted, v => PlaybackRate = v),
            "rtp" => Integer(value, quoted, v => RequestedThroughput = v),
            "sf" => Token(value, quoted, ["d", "h", "s", "o"], v => StreamingFormat = v),
            "sid" => Text(value, quoted, MaxStringLength, v => SessionId = v),
            "st" => Token(value, quoted, ["v", "l"], v => StreamType = v),
            "su" => Flag(value, v => Startup = v),
            "tb" => Integer(value, quoted, v => TopBitrate = v),
            "v" => Integer(value, quoted, v => Version = v),
            _ => false,
        };
        IsEmpty &= !understood;
    }

    // Integers are non-negative and below 2^31: kbit/s, ms.
    private static bool Integer(string? value, bool quoted, Action<int> set)
    {
        if (value is null || quoted || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }

        set(parsed);
        return true;
    }

    private static bool Decimal(string? value, bool quoted, Action<double> set)
    {
        if (value is null || quoted || !double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed) || parsed > 100)
        {
            return false;
        }

        set(parsed);
        return true;
    }

    // A boolean is true by its key alone; "?0" (Structured Fields false) or "false" turns it off.
    private static bool Flag(string? value, Action<bool> set)
    {
        switch (value)
        {
            case null or "?1" or "true":
                set(true);
                return true;
            case "?0" or "false":
                set(false);
                return true;
            default:
                return false;
        }
    }

    private static bool Text(string? value, bool quoted, int maxLength, Action<string> set)
    {
        if (value is null || !quoted || value.Length == 0 || value.Length > maxLength || value.Any(char.IsControl))
        {
            return false;
        }

        set(value);
        return true;
    }

    private static bool Token(string? value, bool quoted, string[] allowed, Action<string> set)
    {
        if (value is null || quoted || Array.IndexOf(allowed, value) < 0)
        {
            return false;
        }

        set(value);
        return true;
    }
}
