using System.Globalization;

namespace Edge.Load.Live;

/// <summary>A partial segment as a Low-Latency HLS playlist lists it, with when it ends on the program clock.</summary>
internal sealed record LivePart(long Msn, int Index, Uri Uri, DateTimeOffset? Ends);

/// <summary>The parts of a live media playlist, read as a low-latency player reads them.</summary>
/// <param name="NextMsn">The sequence number after the last complete segment: where parts not yet listed will be.</param>
internal sealed record LivePlaylist(IReadOnlyList<LivePart> Parts, Uri? Init, bool Ended, long NextMsn)
{
    public LivePart? Last => Parts.Count == 0 ? null : Parts[^1];

    public static LivePlaylist Parse(string text, Uri baseUri)
    {
        var parts = new List<LivePart>();
        long msn = 0;
        var index = 0;
        DateTimeOffset? clock = null;
        Uri? init = null;
        var ended = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("#EXT-X-MEDIA-SEQUENCE:", StringComparison.Ordinal))
            {
                msn = long.Parse(line.AsSpan(22), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("#EXT-X-SKIP:", StringComparison.Ordinal))
            {
                msn += long.Parse(Attribute(line, "SKIPPED-SEGMENTS") ?? "0", CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("#EXT-X-MAP:", StringComparison.Ordinal) && Attribute(line, "URI") is { } map)
            {
                init = new Uri(baseUri, map);
            }
            else if (line.StartsWith("#EXT-X-PROGRAM-DATE-TIME:", StringComparison.Ordinal))
            {
                clock = DateTimeOffset.Parse(line.AsSpan(25), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("#EXT-X-PART:", StringComparison.Ordinal) && Attribute(line, "URI") is { } uri)
            {
                var seconds = double.Parse(Attribute(line, "DURATION") ?? "0", CultureInfo.InvariantCulture);
                clock = clock?.AddSeconds(seconds);
                parts.Add(new LivePart(msn, index++, new Uri(baseUri, uri), clock));
            }
            else if (line.StartsWith("#EXTINF:", StringComparison.Ordinal))
            {
                // The segment's parts (if listed) already moved the clock; the next segment has its own date.
                msn++;
                index = 0;
                clock = null;
            }
            else if (line == "#EXT-X-ENDLIST")
            {
                ended = true;
            }
        }

        return new LivePlaylist(parts, init, ended, msn);
    }

    private static string? Attribute(string line, string name)
    {
        var at = line.IndexOf(name + "=", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var value = line.AsSpan(at + name.Length + 1);
        if (value.StartsWith("\""))
        {
            var end = value[1..].IndexOf('"');
            return end < 0 ? null : value.Slice(1, end).ToString();
        }

        var comma = value.IndexOf(',');
        return (comma < 0 ? value : value[..comma]).ToString();
    }
}
