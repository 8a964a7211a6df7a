using System.Text.Json;
using Edge.Encoder.Encoding;
using Edge.Encoder.Publishing;

namespace Edge.Encoder.Ladder;

/// <summary>One video rendition of a published title, measured against the source.</summary>
public sealed record RungScore(string Id, int Width, int Height, long Bitrate, IReadOnlyDictionary<string, double> Scores);

/// <summary>Two ladders of the same source compared: every rung's scores, and the candidate's BD-rate per metric.</summary>
public sealed record LadderComparisonReport(
    string Source,
    IReadOnlyList<RungScore> Baseline,
    IReadOnlyList<RungScore> Candidate,
    IReadOnlyDictionary<string, double?> BdRate);

/// <summary>
/// Measures published titles against their source, rung by rung, as a player shows them (scaled to the source's
/// size), and compares two ladders by BD-rate: how much rate the candidate needs for the baseline's quality.
/// </summary>
public sealed class LadderComparison(QualityScorer scorer)
{
    public async Task<LadderComparisonReport> CompareAsync(string source, string baseline, string candidate, int width, int height, CancellationToken cancellationToken)
    {
        var a = await ScoreTitleAsync(source, baseline, width, height, cancellationToken);
        var b = await ScoreTitleAsync(source, candidate, width, height, cancellationToken);
        var bdRate = scorer.Metrics.ToDictionary(
            m => m.Name,
            m => BdRate.Of(a.Select(r => ((double)r.Bitrate, r.Scores[m.Name])), b.Select(r => ((double)r.Bitrate, r.Scores[m.Name]))),
            StringComparer.Ordinal);
        return new LadderComparisonReport(Path.GetFileName(source), a, b, bdRate);
    }

    /// <summary>Each video rendition of the title at <paramref name="titleDirectory"/>: its measured average rate and scores.</summary>
    public async Task<IReadOnlyList<RungScore>> ScoreTitleAsync(string source, string titleDirectory, int width, int height, CancellationToken cancellationToken)
    {
        var document = await ReadAsync(titleDirectory, cancellationToken);
        var video = document.Renditions.Where(r => r.Type == "video").ToList();
        var work = Path.Combine(Path.GetTempPath(), "edge-compare-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        var scores = new List<RungScore>();
        try
        {
            var files = new List<(string Path, IReadOnlyList<string> Arguments)>();
            foreach (var rendition in video)
            {
                files.Add((await JoinAsync(titleDirectory, rendition, work, cancellationToken), []));
            }

            var measured = await scorer.ScoreAllAsync(files, (source, []), width, height, cancellationToken);
            scores.AddRange(video.Select((r, i) => new RungScore(r.Id, r.Width ?? 0, r.Height ?? 0, r.AverageBandwidth, measured[i])));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        return scores;
    }

    private static async Task<TitleDocument> ReadAsync(string titleDirectory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(titleDirectory, TitleEncoder.TitleFile);
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync(stream, EncoderJsonContext.Default.TitleDocument, cancellationToken)
                ?? throw new EncoderException($"'{path}' is empty");
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new EncoderException($"'{path}' is not a published title's {TitleEncoder.TitleFile}: {ex.Message}", ex);
        }
    }

    // The rendition as one fragmented MP4, its init segment and media segments in playlist order, which every ffmpeg reads.
    private static async Task<string> JoinAsync(string titleDirectory, RenditionDocument rendition, string work, CancellationToken cancellationToken)
    {
        var playlist = Path.GetFullPath(Path.Combine(titleDirectory, rendition.Playlist));
        var folder = Path.GetDirectoryName(playlist)!;
        var parts = new List<string>();
        foreach (var line in await File.ReadAllLinesAsync(playlist, cancellationToken))
        {
            if (line.StartsWith("#EXT-X-MAP:", StringComparison.Ordinal))
            {
                var start = line.IndexOf("URI=\"", StringComparison.Ordinal) + 5;
                parts.Add(line[start..line.IndexOf('"', start)]);
            }
            else if (line.Length > 0 && line[0] != '#')
            {
                parts.Add(line);
            }
        }

        var output = Path.Combine(work, rendition.Id + ".mp4");
        await using var target = File.Create(output);
        foreach (var part in parts)
        {
            var path = Path.GetFullPath(Path.Combine(folder, part));
            if (!path.StartsWith(Path.GetFullPath(titleDirectory).TrimEnd('/') + "/", StringComparison.Ordinal))
            {
                throw new EncoderException($"{rendition.Playlist} names '{part}', outside the title");
            }

            await using var segment = File.OpenRead(path);
            await segment.CopyToAsync(target, cancellationToken);
        }

        return output;
    }
}
