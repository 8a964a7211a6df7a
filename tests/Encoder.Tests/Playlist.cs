using System.Globalization;
using System.Text.RegularExpressions;

namespace Edge.Encoder.Tests;

/// <summary>Just enough of an HLS reader to check what the encoder wrote.</summary>
public static partial class Playlist
{
    /// <summary>A rendition's init segment and media segments (of <paramref name="playlistUri"/> under <paramref name="titleRoot"/>) joined into one file in <paramref name="work"/> that ffprobe reads.</summary>
    public static async Task<string> JoinRenditionAsync(string work, string titleRoot, string playlistUri)
    {
        var directory = Path.Combine(titleRoot, Path.GetDirectoryName(playlistUri)!);
        var joined = Path.Combine(work, Path.GetFileName(directory) + ".mp4");
        await File.WriteAllBytesAsync(joined, [.. (await Task.WhenAll(Directory.GetFiles(directory, "*.m*4*").Order(StringComparer.Ordinal).Where(f => !f.EndsWith(".m3u8", StringComparison.Ordinal))
            .Select(f => File.ReadAllBytesAsync(f)))).SelectMany(b => b)]);
        return joined;
    }

    public static Dictionary<string, string> Attributes(string line)
    {
        var list = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..];
        return AttributePattern().Matches(list).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim('"'));
    }

    /// <summary>(tag line, URI line) of every EXT-X-STREAM-INF.</summary>
    public static List<(Dictionary<string, string> Attributes, string Uri)> Variants(string master)
    {
        var lines = master.Split('\n');
        return [.. lines.Select((line, i) => (line, i))
            .Where(x => x.line.StartsWith("#EXT-X-STREAM-INF:", StringComparison.Ordinal))
            .Select(x => (Attributes(x.line), lines[x.i + 1].Trim()))];
    }

    public static List<Dictionary<string, string>> Tags(string playlist, string tag) =>
        [.. playlist.Split('\n').Where(l => l.StartsWith(tag + ":", StringComparison.Ordinal)).Select(Attributes)];

    /// <summary>(EXTINF duration, URI) of every media segment.</summary>
    public static List<(double Duration, string Uri)> Segments(string media)
    {
        var lines = media.Split('\n');
        var segments = new List<(double, string)>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("#EXTINF:", StringComparison.Ordinal))
            {
                var duration = double.Parse(lines[i][8..].TrimEnd(','), CultureInfo.InvariantCulture);
                var j = i + 1;
                while (lines[j].StartsWith('#'))
                {
                    j++;
                }

                segments.Add((duration, lines[j].Trim()));
            }
        }

        return segments;
    }

    [GeneratedRegex(@"([A-Z0-9-]+)=(""[^""]*""|[^,]*)")]
    private static partial Regex AttributePattern();
}
