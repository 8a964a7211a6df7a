using System.Globalization;
using System.Text.RegularExpressions;
using Edge.Encoder.Cli;
using Edge.Encoder.Encoding;
using Edge.Encoder.Ladder;
using Edge.Encoder.Origin;
using Edge.Encoder.Publishing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Encoder.Live;

/// <summary>
/// <c>Encoder live</c>: encodes a live source into a ladder, serves it as a Low-Latency HLS origin alongside the
/// content directory, and when the source ends (or the command is stopped) publishes the whole event there as VOD
/// under the same URIs.
/// </summary>
internal static partial class LiveCommand
{
    public const string DefaultLadder = "1280x720@3000k,640x360@1000k";

    public static readonly string[] Options =
        ["--content", "--title", "--source", "--ladder", "--frame-rate", "--segment-duration", "--part-duration", "--dvr", "--preset", "--audio-bitrate", "--ffmpeg-dir"];

    public static readonly string[] Flags = ["--replace", "--loop", "--no-audio", "--exit-at-end"];

    public static async Task RunAsync(string[] args, Action<string> say, CancellationToken stop)
    {
        var line = CommandLine.Parse(args, Options, Flags, passRest: true);
        var content = Path.GetFullPath(line.Required("--content"));
        var id = line.Required("--title");
        var settings = new LiveSettings(line.Number("--segment-duration", 2), line.Number("--part-duration", 0.5), line.Number("--dvr", 60));
        var frameRate = line.Value("--frame-rate") ?? "30";
        if (!FrameRate.TryParse(frameRate, out _))
        {
            throw new UsageException($"--frame-rate must be a number or a fraction such as 30000/1001, not '{frameRate}'");
        }

        LiveRequest request;
        try
        {
            settings.Validate();
            request = new LiveRequest(line.Value("--source") ?? "testsrc", ParseLadder(line.Value("--ladder") ?? DefaultLadder, frameRate), settings)
            {
                Preset = line.Value("--preset") ?? "veryfast",
                AudioBitrate = (long)line.Number("--audio-bitrate", 128_000),
                Loop = line.Flag("--loop"),
                Audio = !line.Flag("--no-audio"),
            };
            TitleStaging.CheckId(id);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }

        var toolchain = Toolchain.Locate(line.Value("--ffmpeg-dir"));
        Directory.CreateDirectory(content);
        using var staging = TitleStaging.Begin(content, id, line.Flag("--replace"));
        using var title = new LiveTitle(id, settings, TimeProvider.System, staging);
        var registry = new LiveRegistry();
        registry.Add(title);
        await using var app = OriginHost.Build(content, [.. line.Rest], registry);
        await app.StartAsync(stop);
        var urls = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        say($"live title '{id}' at {string.Join(", ", urls.Select(u => $"{u}/{id}/master.m3u8"))}");
        try
        {
            await new LiveEncoder(toolchain).RunAsync(request, title, stop);
        }
        finally
        {
            title.End();
            registry.Remove(title);
        }

        say($"live title '{id}' ended; published as VOD at {Path.Combine(content, id)}");
        if (!line.Flag("--exit-at-end") && !stop.IsCancellationRequested)
        {
            // The origin keeps serving the title, now VOD, until it is stopped.
            await Task.Delay(Timeout.Infinite, stop).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        await app.StopAsync(CancellationToken.None);
    }

    /// <summary>Parses <c>1280x720@3000k,640x360@1000k</c>: each rung's size and average rate.</summary>
    public static IReadOnlyList<Rung> ParseLadder(string text, string frameRate)
    {
        var rungs = new List<Rung>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var match = RungPattern().Match(item);
            if (!match.Success)
            {
                throw new ArgumentException($"--ladder: '{item}' is not WIDTHxHEIGHT@RATE, e.g. 1280x720@3000k");
            }

            var width = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            var height = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            var rate = long.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture) * (match.Groups[4].Value is "k" or "K" ? 1000 : match.Groups[4].Value is "m" or "M" ? 1_000_000 : 1);
            if (width is < 16 or > 7680 || height is < 16 or > 4320 || width % 2 != 0 || height % 2 != 0 || rate is < 16_000 or > 100_000_000)
            {
                throw new ArgumentException($"--ladder: '{item}' is out of range (even sizes from 16x16 to 7680x4320, 16k to 100M)");
            }

            if (rungs.Any(r => r.Height == height))
            {
                throw new ArgumentException($"--ladder: two rungs are {height} lines high; each rung's folder is named by its height");
            }

            rungs.Add(new Rung(width, height, rate, frameRate));
        }

        return rungs.Count == 0 ? throw new ArgumentException("--ladder has no rungs") : rungs;
    }

    [GeneratedRegex(@"^(\d{1,4})x(\d{1,4})@(\d{1,9})([kKmM]?)$")]
    private static partial Regex RungPattern();
}
