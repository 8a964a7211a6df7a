using System.Globalization;
using System.Text.Json;
using Edge.Encoder.Cli;
using Edge.Load.Http;
using Edge.Load.Players;
using Edge.Load.Reporting;

namespace Edge.Load;

/// <summary><c>edge-load http|players</c>: load for edge nodes, as raw requests or as simulated viewers.</summary>
internal static class Program
{
    private const string Usage = """
        usage:
          edge-load http --url URL [--url URL ...] [--urls-file FILE] [--connections 32] [--duration 10s]
                         [--rate 0] [--requests 0] [--timeout 10s] [--random] [--seed 1]
                         [--http2] [--insecure] [--json FILE|-] [--quiet]
          edge-load players --master URL [--master URL ...] [--viewers 10] [--duration 60s] [--ramp 0s] [--buffer 12s]
                         [--timeout 10s] [--cmcd] [--json FILE|-] [--quiet]
          edge-load live --playlist URL [--viewers 100] [--duration 30s] [--ramp 2s] [--timeout 10s]
                         [--json FILE|-] [--quiet]
              low-latency HLS viewers: blocking playlist reloads and every part, from the live edge
        """;

    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        try
        {
            return args.Length == 0 ? Fail(Usage) : args[0] switch
            {
                "http" => await HttpAsync(args[1..], cancel.Token),
                "players" => await PlayersAsync(args[1..], cancel.Token),
                "live" => await LiveAsync(args[1..], cancel.Token),
                "-h" or "--help" or "help" => Help(),
                _ => Fail($"unknown command '{args[0]}'\n{Usage}"),
            };
        }
        catch (UsageException ex)
        {
            return Fail($"edge-load: {ex.Message}\n{Usage}");
        }
    }

    internal static HttpLoadOptions ParseHttp(IEnumerable<string> args)
    {
        var line = CommandLine.Parse(args, ["--url", "--urls-file", "--connections", "--duration", "--rate", "--timeout", "--seed", "--requests", "--json"], ["--random", "--quiet", "--http2", "--insecure"]);
        var urls = line.Values("--url").ToList();
        if (line.Value("--urls-file") is { } file)
        {
            if (!File.Exists(file))
            {
                throw new UsageException($"--urls-file '{file}' does not exist");
            }

            urls.AddRange(File.ReadLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')));
        }

        if (urls.Count == 0)
        {
            throw new UsageException("give at least one --url (or --urls-file)");
        }

        var connections = (int)line.Number("--connections", 32);
        var rate = line.Number("--rate", 0);
        if (connections is < 1 or > 10_000)
        {
            throw new UsageException("--connections must be between 1 and 10000");
        }

        if (rate < 0)
        {
            throw new UsageException("--rate must be 0 (closed loop) or more");
        }

        return new HttpLoadOptions
        {
            Urls = [.. urls.Select(u => AbsoluteUrl("--url", u))],
            Connections = connections,
            Duration = Duration(line, "--duration", TimeSpan.FromSeconds(10)),
            Rate = rate,
            Timeout = Duration(line, "--timeout", TimeSpan.FromSeconds(10)),
            Random = line.Flag("--random"),
            MaxRequests = (long)line.Number("--requests", 0),
            Seed = (int)line.Number("--seed", 1),
            Http2 = line.Flag("--http2"),
            Insecure = line.Flag("--insecure"),
        };
    }

    internal static PlayerOptions ParsePlayers(IEnumerable<string> args)
    {
        var line = CommandLine.Parse(args, ["--master", "--viewers", "--duration", "--ramp", "--buffer", "--timeout", "--json"], ["--quiet", "--cmcd"]);
        var viewers = (int)line.Number("--viewers", 10);
        if (viewers is < 1 or > 100_000)
        {
            throw new UsageException("--viewers must be between 1 and 100000");
        }

        return new PlayerOptions
        {
            Master = AbsoluteUrl("--master", line.Required("--master")),
            MoreMasters = [.. line.Values("--master").Skip(1).Select(m => AbsoluteUrl("--master", m))],
            Viewers = viewers,
            Duration = Duration(line, "--duration", TimeSpan.FromSeconds(60)),
            Ramp = Duration(line, "--ramp", TimeSpan.Zero, allowZero: true),
            BufferGoal = Duration(line, "--buffer", TimeSpan.FromSeconds(12)),
            Timeout = Duration(line, "--timeout", TimeSpan.FromSeconds(10)),
            Cmcd = line.Flag("--cmcd"),
        };
    }

    internal static readonly string[] LiveOptionNames = ["--playlist", "--viewers", "--duration", "--ramp", "--timeout", "--json"];

    internal static Live.LiveOptions ParseLive(IEnumerable<string> args)
    {
        var line = CommandLine.Parse(args, LiveOptionNames, ["--quiet"]);
        var viewers = (int)line.Number("--viewers", 100);
        if (viewers is < 1 or > 100_000)
        {
            throw new UsageException("--viewers must be between 1 and 100000");
        }

        return new Live.LiveOptions
        {
            Playlist = AbsoluteUrl("--playlist", line.Required("--playlist")),
            Viewers = viewers,
            Duration = Duration(line, "--duration", TimeSpan.FromSeconds(30)),
            Ramp = Duration(line, "--ramp", TimeSpan.FromSeconds(2), allowZero: true),
            Timeout = Duration(line, "--timeout", TimeSpan.FromSeconds(10)),
        };
    }

    /// <summary>Reads <c>10s</c>, <c>500ms</c>, <c>2m</c>, <c>1h</c>, a plain number of seconds, or <c>hh:mm:ss</c>.</summary>
    internal static TimeSpan ParseDuration(string text)
    {
        var value = text.Trim();
        (string Suffix, double Scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, scale) in units)
        {
            if (value.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(value[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return number >= 0 ? TimeSpan.FromSeconds(number * scale) : throw new FormatException(text);
            }
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero ? span : throw new FormatException(text);
    }

    private static async Task<int> HttpAsync(string[] args, CancellationToken cancel)
    {
        var options = ParseHttp(args);
        var line = CommandLine.Parse(args, ["--url", "--urls-file", "--connections", "--duration", "--rate", "--timeout", "--seed", "--requests", "--json"], ["--random", "--quiet", "--http2", "--insecure"]);
        var runner = new HttpLoadRunner(options, TimeProvider.System);
        var report = await WithProgressAsync(line, options.Duration, runner.Counters, runner.Latency, runner.RunAsync, cancel);
        return await OutputAsync(line, report, ReportJsonContext.Default.HttpRunReport, TextReport.Write);
    }

    private static async Task<int> PlayersAsync(string[] args, CancellationToken cancel)
    {
        var options = ParsePlayers(args);
        var line = CommandLine.Parse(args, ["--master", "--viewers", "--duration", "--ramp", "--buffer", "--timeout", "--json"], ["--quiet", "--cmcd"]);
        var runner = new PlayerRunner(options, TimeProvider.System);
        var report = await WithProgressAsync(line, options.Duration, runner.Counters, runner.SegmentLatency, runner.RunAsync, cancel);
        return await OutputAsync(line, report, ReportJsonContext.Default.PlayersReport, TextReport.Write);
    }

    private static async Task<int> LiveAsync(string[] args, CancellationToken cancel)
    {
        var options = ParseLive(args);
        var line = CommandLine.Parse(args, LiveOptionNames, ["--quiet"]);
        var runner = new Live.LiveRunner(options, TimeProvider.System);
        var report = await WithProgressAsync(line, options.Duration, runner.Counters, runner.PartFetches, runner.RunAsync, cancel);
        return await OutputAsync(line, report, ReportJsonContext.Default.LiveReport, TextReport.Write);
    }

    private static async Task<T> WithProgressAsync<T>(CommandLine line, TimeSpan duration, RunCounters counters, LatencyRecorder latency, Func<CancellationToken, Task<T>> run, CancellationToken cancel)
    {
        using var progressStop = new CancellationTokenSource();
        var progress = line.Flag("--quiet")
            ? Task.CompletedTask
            : new ProgressLine(Console.Error, !Console.IsErrorRedirected, TimeProvider.System).RunAsync(duration, counters, latency, progressStop.Token);
        try
        {
            return await run(cancel);
        }
        finally
        {
            await progressStop.CancelAsync();
            await progress;
        }
    }

    private static async Task<int> OutputAsync<T>(CommandLine line, T report, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, Action<TextWriter, T> table)
    {
        var json = line.Value("--json");
        table(json == "-" ? Console.Error : Console.Out, report);
        if (json == "-")
        {
            await using var stdout = Console.OpenStandardOutput();
            await JsonSerializer.SerializeAsync(stdout, report, type);
        }
        else if (json is not null)
        {
            await using var file = File.Create(json);
            await JsonSerializer.SerializeAsync(file, report, type);
        }

        return 0;
    }

    private static Uri AbsoluteUrl(string option, string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new UsageException($"{option} '{text}' must be an absolute http:// or https:// URL");

    private static TimeSpan Duration(CommandLine line, string option, TimeSpan fallback, bool allowZero = false)
    {
        if (line.Value(option) is not { } text)
        {
            return fallback;
        }

        try
        {
            var value = ParseDuration(text);
            return value > TimeSpan.Zero || allowZero ? value : throw new FormatException(text);
        }
        catch (FormatException)
        {
            throw new UsageException($"{option} '{text}' must be a duration like 10s, 500ms, 2m or 00:01:00{(allowZero ? "" : ", above zero")}");
        }
    }

    private static int Help()
    {
        Console.WriteLine(Usage);
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
