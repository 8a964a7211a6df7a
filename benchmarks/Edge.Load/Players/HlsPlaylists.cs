using System.Globalization;

namespace Edge.Load.Players;

/// <summary>A variant stream of a multivariant playlist.</summary>
internal sealed record Variant(long Bandwidth, string? Resolution, Uri Uri, string? PathwayId, string? AudioGroup);

/// <summary>An alternative rendition (<c>EXT-X-MEDIA</c>) with its own playlist.</summary>
internal sealed record Rendition(string Type, string GroupId, Uri Uri, string? PathwayId);

/// <summary>The parts of a multivariant playlist a player needs.</summary>
internal sealed record MasterPlaylist(IReadOnlyList<Variant> Variants, IReadOnlyList<Rendition> Renditions, string? DefaultPathway)
{
    /// <summary>Pathways in the order a player tries them: the steering default first, then as listed.</summary>
    public IReadOnlyList<string?> Pathways
    {
        get
        {
            var listed = Variants.Select(v => v.PathwayId).Distinct().ToList();
            if (DefaultPathway is not null && listed.Remove(DefaultPathway))
            {
                listed.Insert(0, DefaultPathway);
            }

            return listed;
        }
    }

    /// <summary>The variants of one pathway, lowest bandwidth first.</summary>
    public IReadOnlyList<Variant> VariantsOf(string? pathway) =>
        [.. Variants.Where(v => v.PathwayId == pathway).OrderBy(v => v.Bandwidth)];

    public Rendition? AudioFor(Variant variant) =>
        variant.AudioGroup is null ? null
        : Renditions.FirstOrDefault(r => r.Type == "AUDIO" && r.GroupId == variant.AudioGroup && r.PathwayId == variant.PathwayId)
          ?? Renditions.FirstOrDefault(r => r.Type == "AUDIO" && r.GroupId == variant.AudioGroup);
}

/// <summary>A media segment and its duration in seconds.</summary>
internal sealed record MediaSegment(Uri Uri, double Duration);

/// <summary>A media playlist: its init segment (<c>EXT-X-MAP</c>) and segments.</summary>
internal sealed record MediaPlaylist(Uri? Init, IReadOnlyList<MediaSegment> Segments, bool Ended);

/// <summary>Reads HLS playlists (RFC 8216) as far as a simulated player needs.</summary>
internal static class HlsPlaylists
{
    public static MasterPlaylist ParseMaster(string text, Uri baseUri)
    {
        var lines = Lines(text);
        var variants = new List<Variant>();
        var renditions = new List<Rendition>();
        string? defaultPathway = null;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.StartsWith("#EXT-X-STREAM-INF:", StringComparison.Ordinal))
            {
                var attributes = Attributes(line["#EXT-X-STREAM-INF:".Length..]);
                var uri = lines.Skip(i + 1).FirstOrDefault(l => !l.StartsWith('#'));
                if (uri is not null && attributes.TryGetValue("BANDWIDTH", out var bandwidth)
                    && long.TryParse(bandwidth, NumberStyles.Integer, CultureInfo.InvariantCulture, out var bits))
                {
                    variants.Add(new Variant(bits, attributes.GetValueOrDefault("RESOLUTION"), new Uri(baseUri, uri),
                        attributes.GetValueOrDefault("PATHWAY-ID"), attributes.GetValueOrDefault("AUDIO")));
                }
            }
            else if (line.StartsWith("#EXT-X-MEDIA:", StringComparison.Ordinal))
            {
                var attributes = Attributes(line["#EXT-X-MEDIA:".Length..]);
                if (attributes.TryGetValue("URI", out var uri) && attributes.TryGetValue("TYPE", out var type) && attributes.TryGetValue("GROUP-ID", out var group))
                {
                    renditions.Add(new Rendition(type, group, new Uri(baseUri, uri), attributes.GetValueOrDefault("PATHWAY-ID")));
                }
            }
            else if (line.StartsWith("#EXT-X-CONTENT-STEERING:", StringComparison.Ordinal))
            {
                defaultPathway = Attributes(line["#EXT-X-CONTENT-STEERING:".Length..]).GetValueOrDefault("PATHWAY-ID");
            }
        }

        if (variants.Count == 0)
        {
            throw new FormatException("not a multivariant playlist: no #EXT-X-STREAM-INF with a BANDWIDTH and a URI");
        }

        // A rendition group named per pathway keeps its pathway when the variant that uses it has one.
        return new MasterPlaylist(variants, renditions, defaultPathway);
    }

    public static MediaPlaylist ParseMedia(string text, Uri baseUri)
    {
        var lines = Lines(text);
        Uri? init = null;
        var segments = new List<MediaSegment>();
        var ended = false;
        double? duration = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("#EXTINF:", StringComparison.Ordinal))
            {
                var value = line["#EXTINF:".Length..].Split(',')[0];
                duration = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? seconds : 0;
            }
            else if (line.StartsWith("#EXT-X-MAP:", StringComparison.Ordinal) && Attributes(line["#EXT-X-MAP:".Length..]).TryGetValue("URI", out var map))
            {
                init = new Uri(baseUri, map);
            }
            else if (line.StartsWith("#EXT-X-ENDLIST", StringComparison.Ordinal))
            {
                ended = true;
            }
            else if (!line.StartsWith('#') && duration is { } d)
            {
                segments.Add(new MediaSegment(new Uri(baseUri, line), d));
                duration = null;
            }
        }

        if (segments.Count == 0)
        {
            throw new FormatException("not a media playlist: no segments");
        }

        return new MediaPlaylist(init, segments, ended);
    }

    /// <summary>An attribute list (RFC 8216 §4.2): quoted values may hold commas.</summary>
    public static Dictionary<string, string> Attributes(string list)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < list.Length)
        {
            var eq = list.IndexOf('=', i);
            if (eq < 0)
            {
                break;
            }

            var name = list[i..eq].Trim();
            string value;
            if (eq + 1 < list.Length && list[eq + 1] == '"')
            {
                var close = list.IndexOf('"', eq + 2);
                close = close < 0 ? list.Length : close;
                value = list[(eq + 2)..close];
                i = list.IndexOf(',', Math.Min(close, list.Length - 1));
                i = i < 0 ? list.Length : i + 1;
            }
            else
            {
                var comma = list.IndexOf(',', eq);
                comma = comma < 0 ? list.Length : comma;
                value = list[(eq + 1)..comma].Trim();
                i = comma + 1;
            }

            result[name] = value;
        }

        return result;
    }

    private static List<string> Lines(string text) =>
        [.. text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)];
}
