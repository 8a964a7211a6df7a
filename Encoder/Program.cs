using System.Runtime.InteropServices;
using System.Text.Json;
using Edge.Encoder;
using Edge.Encoder.Cli;
using Edge.Encoder.Encoding;
using Edge.Encoder.Origin;

const string Usage = """
    usage:
      Encoder encode --input <file> --output <content-dir>/<title-id> [options]
          encode a title (CMAF HLS + DASH) and publish it into the content directory
          --ladder default|per-title|<ladder.json>   rungs (default: the Apple HLS authoring spec's H.264 ladder)
          --codec h264|hevc|av1                      video codec (default h264)
          --segment-duration <s>                     segment length in seconds (default 6)
          --preset <x264 preset>                     speed/quality trade (default fast)
          --metric auto|vmaf|ssim|psnr               per-title quality metric (default auto: vmaf if available)
          --vmaf-ffmpeg <path>                       an ffmpeg with libvmaf to measure with (default $VMAF_FFMPEG)
          --vmaf-model <file>                        the VMAF model it loads (default $VMAF_MODEL, else its own)
          --vmaf-subsample <n>                       score every nth frame of per-title trials (default 30)
          --sample-duration <s>                      per-title trial sample length (default 6)
          --audio-bitrate <bits/s>                   AAC stereo rate (default 128000)
          --replace                                  replace a published title of the same id
          --ffmpeg-dir <dir>                         folder holding ffmpeg and ffprobe (default: PATH)
          --progress auto|bar|json                   progress as a bar or JSON lines (default auto: a bar on a terminal)
      Encoder plan --input <file> --output <content-dir>/<title-id> --plan <plan.json> [encode options]
          probe the source, choose the ladder and write a plan for split jobs
      Encoder encode-rendition --plan <plan.json> --work <dir> [--index <n>]
          encode rendition n of a plan (default: $JOB_COMPLETION_INDEX, as Kubernetes Indexed Jobs set it)
      Encoder package --plan <plan.json> --work <dir>
          package the renditions encoded by split jobs and publish the title
      Encoder live --content <dir> --title <title-id> [options] [--urls http://127.0.0.1:8000]
          encode a live source as Low-Latency HLS and serve it, with the content directory, as the origin;
          when the source ends or the command is stopped, the event is published as VOD under the same URIs
          --source testsrc|<file>|srt://host:port|rtmp://host:port/app/key   (default testsrc; srt and rtmp listen)
          --loop                                     play a file source forever
          --ladder <WxH@rate,...>                    rungs (default 1280x720@3000k,640x360@1000k)
          --frame-rate <fps>                         output frame rate (default 30)
          --segment-duration <s>                     segment length (default 2)
          --part-duration <s>                        partial segment target (default 0.5)
          --dvr <s>                                  how far behind live players may seek (default 60)
          --preset <x264 preset>                     (default veryfast)   --audio-bitrate <bits/s>   --no-audio
          --replace                                  replace a published title of the same id
          --exit-at-end                              exit when the source ends instead of serving the VOD
      Encoder compare --source <file> --baseline <title-dir> --candidate <title-dir> [options]
          measure two published ladders of one source rung by rung (VMAF when available, PSNR, SSIM) and print
          the candidate's BD-rate against the baseline as JSON (negative: it needs less rate for the same quality)
          --vmaf-ffmpeg <path>   --vmaf-model <file>   --vmaf-subsample <n> (every nth frame; default 1)   --ffmpeg-dir <dir>
      Encoder serve --content <dir> [--urls http://127.0.0.1:8000]
          serve a published content directory as the CDN's origin
    Progress goes to standard output: a bar on a terminal, JSON lines otherwise (--progress chooses).
    Exit codes: 0 done, 1 failed, 2 bad input or usage, 130 cancelled (nothing is published).
    """;

string[] encodeOptions = ["--input", "--output", "--ladder", "--codec", "--segment-duration", "--preset", "--metric", "--sample-duration", "--audio-bitrate", "--ffmpeg-dir", "--progress", "--vmaf-ffmpeg", "--vmaf-model", "--vmaf-subsample"];

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}

using var cancel = new CancellationTokenSource();

// JSON lines for scripts and job logs, a bar on a terminal; --progress on the encoding commands chooses.
var json = Console.IsOutputRedirected;
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cancel.Cancel();
});


try
{
    switch (args[0])
    {
        case "encode":
            {
                var line = CommandLine.Parse(args[1..], [.. encodeOptions], ["--replace"]);
                var encoder = Encoder(line.Value("--ffmpeg-dir"), line.Value("--progress"));
                var title = await encoder.EncodeAsync(Request(line), cancel.Token);
                Published(title.Id, Path.GetFullPath(line.Required("--output")));
                return 0;
            }

        case "plan":
            {
                var line = CommandLine.Parse(args[1..], [.. encodeOptions, "--plan"], ["--replace"]);
                var planFile = line.Required("--plan");
                var plan = await Encoder(line.Value("--ffmpeg-dir"), line.Value("--progress")).PlanAsync(Request(line), cancel.Token);
                await File.WriteAllTextAsync(planFile, JsonSerializer.Serialize(plan, EncoderJsonContext.Default.EncodePlan));
                Console.Error.WriteLine($"encoder: plan for '{plan.TitleId}' with {plan.Renditions.Count} renditions written to {planFile}");
                return 0;
            }

        case "encode-rendition":
            {
                var line = CommandLine.Parse(args[1..], ["--plan", "--work", "--index", "--ffmpeg-dir"], []);
                var index = line.Value("--index") ?? Environment.GetEnvironmentVariable("JOB_COMPLETION_INDEX")
                    ?? throw new UsageException("--index is required (or set JOB_COMPLETION_INDEX)");
                if (!int.TryParse(index, out var n))
                {
                    throw new UsageException($"--index must be a whole number, not '{index}'");
                }

                var plan = await ReadPlanAsync(line.Required("--plan"));
                await Encoder(line.Value("--ffmpeg-dir")).EncodeRenditionAsync(plan, n, line.Required("--work"), cancel.Token);
                return 0;
            }

        case "package":
            {
                var line = CommandLine.Parse(args[1..], ["--plan", "--work", "--ffmpeg-dir"], []);
                var plan = await ReadPlanAsync(line.Required("--plan"));
                var title = await Encoder(line.Value("--ffmpeg-dir")).PackageAsync(plan, line.Required("--work"), cancel.Token);
                Published(title.Id, Path.Combine(plan.ContentRoot, plan.TitleId));
                return 0;
            }

        case "live":
            await Edge.Encoder.Live.LiveCommand.RunAsync(args[1..], Console.Error.WriteLine, cancel.Token);
            return 0;

        case "compare":
            {
                var line = CommandLine.Parse(args[1..], ["--source", "--baseline", "--candidate", "--ffmpeg-dir", "--vmaf-ffmpeg", "--vmaf-model", "--vmaf-subsample"], []);
                var ffmpeg = new FfmpegRunner(Toolchain.Locate(line.Value("--ffmpeg-dir")));
                var vmaf = Vmaf(line, subsample: 1);
                var vmafRunner = await TitleEncoder.VmafRunnerAsync(ffmpeg, vmaf);
                var scorer = vmafRunner is null
                    ? new Edge.Encoder.Ladder.QualityScorer(ffmpeg, [new Edge.Encoder.Ladder.PsnrMetric(), new Edge.Encoder.Ladder.SsimMetric()], vmaf.Subsample)
                    : new Edge.Encoder.Ladder.QualityScorer(vmafRunner, [new Edge.Encoder.Ladder.VmafMetric(vmaf.Model), new Edge.Encoder.Ladder.PsnrMetric(), new Edge.Encoder.Ladder.SsimMetric()], vmaf.Subsample);
                var source = await SourceProbe.ProbeAsync(line.Required("--source"), ffmpeg.Toolchain, cancel.Token);
                var report = await new Edge.Encoder.Ladder.LadderComparison(scorer).CompareAsync(
                    source.Path, line.Required("--baseline"), line.Required("--candidate"), source.Width, source.Height, cancel.Token);
                Console.WriteLine(JsonSerializer.Serialize(report, EncoderJsonContext.Default.LadderComparisonReport));
                return 0;
            }

        case "serve":
            {
                var line = CommandLine.Parse(args[1..], ["--content"], [], passRest: true);
                await OriginHost.Build(line.Required("--content"), [.. line.Rest]).RunAsync();
                return 0;
            }

        default:
            throw new UsageException($"unknown command '{args[0]}'");
    }
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Fail("cancelled; nothing was published", json);
    return 130;
}
catch (UsageException ex)
{
    Fail(ex.Message, json);
    Console.Error.WriteLine(Usage);
    return 2;
}
catch (Exception ex) when (ex is EncoderException or DirectoryNotFoundException)
{
    Fail(ex.Message, json);
    return 2;
}
catch (Exception ex) when (ex is FFMpegCore.Exceptions.FFMpegException or InvalidDataException or IOException)
{
    Fail(ex.Message, json);
    return 1;
}

TitleEncoder Encoder(string? ffmpegDirectory, string? progress = null)
{
    json = (progress ?? "auto") switch
    {
        "bar" => false,
        "json" => true,
        "auto" => json,
        _ => throw new UsageException($"--progress must be auto, bar or json, not '{progress}'"),
    };
    IProgress<EncodeProgress> reporter = json ? new JsonProgress(Console.Out, TimeProvider.System) : new TerminalProgress(Console.Out, TimeProvider.System);
    return new(new FfmpegRunner(Toolchain.Locate(ffmpegDirectory)), TimeProvider.System, reporter);
}

static EncodeRequest Request(CommandLine line)
{
    var codecName = line.Value("--codec") ?? "h264";
    var codec = VideoCodec.Parse(codecName) ?? throw new UsageException($"--codec must be h264, hevc or av1, not '{codecName}'");
    var perTitle = new Edge.Encoder.Ladder.PerTitleOptions();
    perTitle.SampleSeconds = line.Number("--sample-duration", perTitle.SampleSeconds);
    return new EncodeRequest(line.Required("--input"), line.Required("--output"))
    {
        Ladder = line.Value("--ladder") ?? "default",
        Codec = codec,
        SegmentSeconds = line.Number("--segment-duration", 6),
        Preset = line.Value("--preset") ?? "fast",
        Metric = line.Value("--metric") ?? "auto",
        AudioBitrate = (long)line.Number("--audio-bitrate", 128_000),
        Replace = line.Flag("--replace"),
        PerTitle = perTitle,
        Vmaf = Vmaf(line, subsample: new Edge.Encoder.Ladder.VmafOptions().Subsample),
    };
}

static Edge.Encoder.Ladder.VmafOptions Vmaf(CommandLine line, int subsample)
{
    var model = line.Value("--vmaf-model") ?? Environment.GetEnvironmentVariable("VMAF_MODEL");
    var every = line.Number("--vmaf-subsample", subsample);
    if (every != Math.Floor(every))
    {
        throw new UsageException($"--vmaf-subsample must be a whole number, not {every}");
    }

    return new Edge.Encoder.Ladder.VmafOptions
    {
        Ffmpeg = line.Value("--vmaf-ffmpeg") ?? (Environment.GetEnvironmentVariable("VMAF_FFMPEG") is { Length: > 0 } f ? f : null),
        Model = model is { Length: > 0 } ? Path.GetFullPath(model) : null,
        Subsample = (int)every,
    };
}

static async Task<EncodePlan> ReadPlanAsync(string path)
{
    try
    {
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync(stream, EncoderJsonContext.Default.EncodePlan)
            ?? throw new EncoderException($"plan '{path}' is empty");
    }
    catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
    {
        throw new EncoderException($"plan '{path}' cannot be read: {ex.Message}", ex);
    }
}

void Published(string id, string path)
{
    if (json)
    {
        JsonProgress.Write(Console.Out, new ProgressEvent("published") { Id = id, Path = path });
    }
    else
    {
        Console.WriteLine($"published '{id}' at {path}");
    }
}

static void Fail(string message, bool json)
{
    if (json)
    {
        JsonProgress.Write(Console.Out, new ProgressEvent("error") { Error = message });
    }

    Console.Error.WriteLine("encoder: " + message);
}
