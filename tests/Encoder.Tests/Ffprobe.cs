using System.Diagnostics;
using System.Globalization;

namespace Edge.Encoder.Tests;

/// <summary>Asks the real ffprobe, independently of the encoder's own box parsing.</summary>
public static class Ffprobe
{
    public static async Task<string> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-v", "error", .. args])
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode == 0 ? await output : throw new InvalidOperationException($"ffprobe {string.Join(' ', args)}: {await error}");
    }

    /// <summary>Presentation times (seconds) of the key frames of the first video stream.</summary>
    public static async Task<List<double>> KeyFrameTimesAsync(string file)
    {
        var csv = await RunAsync("-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", file);
        return [.. csv.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(','))
            .Where(parts => parts.Length >= 2 && parts[1].Contains('K', StringComparison.Ordinal))
            .Select(parts => double.Parse(parts[0], CultureInfo.InvariantCulture))
            .Order()];
    }

    /// <summary>Stream entries (e.g. profile, level, width) of the first video stream, by name.</summary>
    public static async Task<Dictionary<string, string>> VideoStreamAsync(string file, string entries)
    {
        var text = await RunAsync("-select_streams", "v:0", "-show_entries", "stream=" + entries, "-of", "default=nw=1", file);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1].Trim());
    }

    /// <summary>Codec types of the top-level streams (not repeated per program).</summary>
    public static async Task<List<string>> StreamTypesAsync(string input)
    {
        using var json = System.Text.Json.JsonDocument.Parse(await RunAsync("-show_entries", "stream=codec_type", "-of", "json", input));
        return [.. json.RootElement.GetProperty("streams").EnumerateArray().Select(s => s.GetProperty("codec_type").GetString()!)];
    }

    /// <summary>Duration (seconds) of the first stream, from its packets.</summary>
    public static async Task<double> DurationAsync(string file)
    {
        var csv = await RunAsync("-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0", file);
        var packets = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(','))
            .Where(p => p[0] != "N/A")
            .Select(p => (Pts: double.Parse(p[0], CultureInfo.InvariantCulture), Duration: p[1] == "N/A" ? 0 : double.Parse(p[1], CultureInfo.InvariantCulture)))
            .ToList();
        return packets.Max(p => p.Pts + p.Duration) - packets.Min(p => p.Pts);
    }
}
