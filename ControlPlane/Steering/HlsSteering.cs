using System.Text;

namespace Edge.ControlPlane.Steering;

/// <summary>A content-steering pathway: one edge node, named by its id.</summary>
internal readonly record struct Pathway(string Id, string BaseUrl);

/// <summary>
/// Rewrites an HLS multivariant playlist for HLS Content Steering: every variant, rendition and I-frame
/// stream is listed once per pathway (node) with absolute URIs, tagged <c>PATHWAY-ID</c>, with rendition
/// groups renamed per pathway; <c>EXT-X-CONTENT-STEERING</c> points players at the steering server,
/// which re-ranks the pathways while they play.
/// </summary>
internal static class HlsSteering
{
    private static readonly string[] GroupReferences = ["AUDIO", "VIDEO", "SUBTITLES", "CLOSED-CAPTIONS"];

    /// <summary>True for a multivariant (master) playlist; media playlists need no steering.</summary>
    public static bool IsMultivariant(string playlist) =>
        playlist.StartsWith("#EXTM3U", StringComparison.Ordinal) && playlist.Contains("#EXT-X-STREAM-INF:", StringComparison.Ordinal);

    public static string Rewrite(string playlist, string playlistPath, IReadOnlyList<Pathway> pathways, string serverUri)
    {
        var globals = new List<string>();
        var entries = new List<(string Name, List<(string Key, string Value)> Attributes, string? Uri)>();
        var lines = playlist.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith("#EXT-X-CONTENT-STEERING", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.StartsWith("#EXT-X-STREAM-INF:", StringComparison.Ordinal))
            {
                // The variant's URI is the next line that is neither blank nor a comment.
                string? uri = null;
                while (++i < lines.Length)
                {
                    var next = lines[i].Trim();
                    if (next.Length > 0 && !next.StartsWith('#'))
                    {
                        uri = next;
                        break;
                    }
                }

                entries.Add(Parse(line, uri));
            }
            else if (line.StartsWith("#EXT-X-MEDIA:", StringComparison.Ordinal) || line.StartsWith("#EXT-X-I-FRAME-STREAM-INF:", StringComparison.Ordinal))
            {
                entries.Add(Parse(line, null));
            }
            else if (line.StartsWith('#'))
            {
                globals.Add(line);
            }
        }

        var output = new StringBuilder(playlist.Length * (pathways.Count + 1));
        var steering = $"#EXT-X-CONTENT-STEERING:SERVER-URI=\"{serverUri}\",PATHWAY-ID=\"{pathways[0].Id}\"";
        var placed = false;
        var hasVersion = globals.Any(g => g.StartsWith("#EXT-X-VERSION", StringComparison.Ordinal));
        foreach (var line in globals)
        {
            output.Append(line).Append('\n');
            if (!placed && (line.StartsWith("#EXT-X-VERSION", StringComparison.Ordinal) || (line == "#EXTM3U" && !hasVersion)))
            {
                output.Append(steering).Append('\n');
                placed = true;
            }
        }

        if (!placed)
        {
            output.Append(steering).Append('\n');
        }

        foreach (var pathway in pathways)
        {
            var playlistUrl = new Uri(new Uri(pathway.BaseUrl + "/"), playlistPath.TrimStart('/'));
            output.Append('\n');
            foreach (var (name, attributes, uri) in entries)
            {
                var rewritten = new StringBuilder(name).Append(':');
                var first = true;
                foreach (var (key, value) in attributes)
                {
                    var newValue = key switch
                    {
                        "URI" => Quote(Resolve(playlistUrl, Unquote(value))),
                        "GROUP-ID" => Quote(Unquote(value) + "." + pathway.Id),
                        _ when name != "#EXT-X-MEDIA" && GroupReferences.Contains(key) && value.StartsWith('"') => Quote(Unquote(value) + "." + pathway.Id),
                        "PATHWAY-ID" => null,
                        _ => value,
                    };
                    if (newValue is null)
                    {
                        continue;
                    }

                    rewritten.Append(first ? "" : ",").Append(key).Append('=').Append(newValue);
                    first = false;
                }

                if (name != "#EXT-X-MEDIA")
                {
                    rewritten.Append(",PATHWAY-ID=").Append(Quote(pathway.Id));
                }

                output.Append(rewritten).Append('\n');
                if (uri is not null)
                {
                    output.Append(Resolve(playlistUrl, uri)).Append('\n');
                }
            }
        }

        return output.ToString();
    }

    private static (string Name, List<(string Key, string Value)> Attributes, string? Uri) Parse(string tag, string? uri)
    {
        var colon = tag.IndexOf(':', StringComparison.Ordinal);
        return (tag[..colon], ParseAttributes(tag.AsSpan(colon + 1)), uri);
    }

    /// <summary>Splits an attribute list at commas outside quoted strings.</summary>
    internal static List<(string Key, string Value)> ParseAttributes(ReadOnlySpan<char> list)
    {
        var result = new List<(string, string)>();
        while (!list.IsEmpty)
        {
            var eq = list.IndexOf('=');
            if (eq <= 0)
            {
                break;
            }

            var key = list[..eq].Trim().ToString();
            list = list[(eq + 1)..];
            int end;
            if (list.StartsWith("\""))
            {
                var close = list[1..].IndexOf('"');
                end = close < 0 ? list.Length : close + 2;
            }
            else
            {
                end = list.IndexOf(',');
                end = end < 0 ? list.Length : end;
            }

            result.Add((key, list[..end].ToString()));
            list = list[end..];
            if (list.StartsWith(","))
            {
                list = list[1..];
            }
        }

        return result;
    }

    private static string Resolve(Uri baseUrl, string reference) => new Uri(baseUrl, reference).AbsoluteUri;

    private static string Unquote(string value) => value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;

    private static string Quote(string value) => "\"" + value.Replace("\"", "%22", StringComparison.Ordinal) + "\"";
}
