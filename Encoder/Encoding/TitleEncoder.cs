using System.Globalization;
using System.Text;
using System.Text.Json;
using Edge.Encoder.Ladder;
using Edge.Encoder.Packaging;
using Edge.Encoder.Publishing;

namespace Edge.Encoder.Encoding;

/// <summary>
/// Encodes a source into a CMAF HLS + DASH title and publishes it atomically. <see cref="EncodeAsync"/> does it all
/// in one process with one decode; <see cref="PlanAsync"/>, <see cref="EncodeRenditionAsync"/> and
/// <see cref="PackageAsync"/> do the same work as separate jobs that share a plan file.
/// </summary>
public sealed class TitleEncoder(FfmpegRunner ffmpeg, TimeProvider time, IProgress<EncodeProgress> progress)
{
    public const string MasterPlaylist = "master.m3u8";
    public const string Mpd = "manifest.mpd";
    public const string TitleFile = "title.json";
    public const string LadderFile = "ladder.json";

    /// <summary>Probes the source and chooses the ladder.</summary>
    public async Task<EncodePlan> PlanAsync(EncodeRequest request, CancellationToken cancellationToken)
    {
        var output = Path.GetFullPath(request.Output.TrimEnd('/', Path.DirectorySeparatorChar));
        var id = Path.GetFileName(output);
        var contentRoot = Path.GetDirectoryName(output)!;
        TitleStaging.CheckId(id);
        if (!request.Replace && Directory.Exists(output))
        {
            throw new EncoderException($"title '{id}' is already published at '{output}'; published titles are immutable (pass --replace to replace it)");
        }

        if (request.SegmentSeconds is < 1 or > 20)
        {
            throw new EncoderException($"segment duration must be between 1 and 20 seconds, not {request.SegmentSeconds}");
        }

        var source = await SourceProbe.ProbeAsync(request.Input, ffmpeg.Toolchain, cancellationToken);
        progress.Report(new EncodeProgress("ladder", 0, null, null));
        var work = Path.Combine(contentRoot, $".{id}.ladder-{Guid.NewGuid():N}");
        try
        {
            var policy = await PolicyAsync(request, work);
            var ladder = await policy.BuildAsync(source, request.Codec, cancellationToken);
            var renditions = ladder.Rungs.Select(r => new PlannedRendition(r.Id, "video", r, null)).ToList();
            if (source.HasAudio)
            {
                renditions.Add(new PlannedRendition($"aac-{request.AudioBitrate / 1000}k", "audio", null, request.AudioBitrate));
            }

            return new EncodePlan(id, contentRoot, request.Codec.Name, request.SegmentSeconds, request.Preset, request.Replace, source, ladder, renditions);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>Plans, encodes every rendition from one decode of the source, packages and publishes.</summary>
    public async Task<TitleDocument> EncodeAsync(EncodeRequest request, CancellationToken cancellationToken)
    {
        var plan = await PlanAsync(request, cancellationToken);
        using var staging = TitleStaging.Begin(plan.ContentRoot, plan.TitleId, plan.Replace);
        var work = Path.Combine(staging.Path, ".work");
        Directory.CreateDirectory(work);
        await RunAsync(plan, plan.Renditions, work, cancellationToken);
        return await PackageIntoAsync(plan, work, staging, cancellationToken);
    }

    /// <summary>Encodes one rendition of a plan (a split job) into <paramref name="workDirectory"/>/&lt;id&gt;.mp4.</summary>
    public async Task EncodeRenditionAsync(EncodePlan plan, int index, string workDirectory, CancellationToken cancellationToken)
    {
        if (index < 0 || index >= plan.Renditions.Count)
        {
            throw new EncoderException($"rendition index {index} is out of range: the plan has {plan.Renditions.Count} renditions (0-{plan.Renditions.Count - 1})");
        }

        Directory.CreateDirectory(workDirectory);
        var rendition = plan.Renditions[index];
        var partial = Path.Combine(workDirectory, $".{rendition.Id}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(partial);
        try
        {
            await RunAsync(plan, [rendition], partial, cancellationToken);
            File.Move(Path.Combine(partial, rendition.Id + ".mp4"), Path.Combine(workDirectory, rendition.Id + ".mp4"), overwrite: true);
        }
        finally
        {
            Directory.Delete(partial, recursive: true);
        }
    }

    /// <summary>Packages renditions encoded by split jobs and publishes the title.</summary>
    public async Task<TitleDocument> PackageAsync(EncodePlan plan, string workDirectory, CancellationToken cancellationToken)
    {
        var missing = plan.Renditions.Where(r => !File.Exists(Path.Combine(workDirectory, r.Id + ".mp4"))).Select(r => r.Id).ToList();
        if (missing.Count > 0)
        {
            throw new EncoderException($"renditions not encoded yet in '{workDirectory}': {string.Join(", ", missing)}");
        }

        using var staging = TitleStaging.Begin(plan.ContentRoot, plan.TitleId, plan.Replace);
        return await PackageIntoAsync(plan, workDirectory, staging, cancellationToken);
    }

    /// <summary>The ffmpeg outputs for <paramref name="renditions"/>: one decode, split and scaled per rung.</summary>
    public static List<FfmpegOutput> Outputs(EncodePlan plan, IReadOnlyList<PlannedRendition> renditions, string workDirectory)
    {
        var video = renditions.Where(r => r.Rung is not null).ToList();
        var rates = plan.Renditions.Where(r => r.Rung is not null).Select(r => FrameRate.TryParse(r.Rung!.FrameRate, out var rate) ? rate : plan.Source.FrameRate).ToList();
        var keyFrames = KeyFrames(KeyFrameSeconds(plan.SegmentSeconds), rates);
        var timescale = VideoTimescale(rates).ToString(CultureInfo.InvariantCulture);
        var outputs = new List<FfmpegOutput>();
        var graph = video.Count == 0 ? null : Graph(plan.Source, [.. video.Select(r => r.Rung!)]);
        for (var i = 0; i < video.Count; i++)
        {
            var rung = video[i].Rung!;
            if (!FrameRate.TryParse(rung.FrameRate, out var rate))
            {
                throw new EncoderException($"rung {video[i].Id} has a bad frame rate '{rung.FrameRate}'");
            }

            var gop = (int)Math.Ceiling(rate.Value * KeyFrameSeconds(plan.SegmentSeconds));
            outputs.Add(new FfmpegOutput(Path.Combine(workDirectory, video[i].Id + ".mp4"),
            [
                .. (i == 0 ? (string[])["-filter_complex", graph!] : []),
                "-map", $"[v{i}]", .. plan.VideoCodec.RateArguments(rung, gop, plan.Preset),
                "-force_key_frames", keyFrames, "-video_track_timescale", timescale, "-an", "-map_metadata", "-1",
                "-f", "mp4", "-movflags", "+frag_keyframe+empty_moov+default_base_moof+cmaf", "-brand", "cmfc",
            ]));
        }

        foreach (var audio in renditions.Where(r => r.AudioBitrate is not null))
        {
            outputs.Add(new FfmpegOutput(Path.Combine(workDirectory, audio.Id + ".mp4"),
            [
                "-map", "0:a:0", "-vn", .. AudioFilter(plan.Source), "-c:a", "aac", "-b:a", audio.AudioBitrate!.Value.ToString(CultureInfo.InvariantCulture), "-ac", "2", "-ar", "48000",
                "-map_metadata", "-1", "-f", "mp4", "-movflags", "+empty_moov+default_base_moof+cmaf",
                "-frag_duration", ((long)(plan.SegmentSeconds * 1_000_000)).ToString(CultureInfo.InvariantCulture), "-brand", "cmfc",
            ]));
        }

        return outputs;
    }

    /// <summary>
    /// Time between key frames: the segment length split into equal parts of at most 2 s, as Apple's authoring spec
    /// asks (so I-frame playlists and seeking step 2 s), every segment starting with one (6 s segments: every 2 s).
    /// </summary>
    internal static double KeyFrameSeconds(double segmentSeconds) => segmentSeconds / Math.Max(1, Math.Ceiling((segmentSeconds / 2) - 1e-9));

    /// <summary>
    /// The <c>-force_key_frames</c> expression: a key frame at the first frame of the slowest rung at or after each
    /// multiple of the key frame interval (every segment boundary among them). Faster rungs run at multiples of that
    /// rate and have a frame there too, so every rung cuts at the same instant; cut on its own grid, a 59.94 fps rung
    /// and its 29.97 fps half drift apart by a frame.
    /// </summary>
    internal static string KeyFrames(double intervalSeconds, IEnumerable<FrameRate> rates)
    {
        var seconds = intervalSeconds.ToString("0.######", CultureInfo.InvariantCulture);
        var all = rates.ToList();
        if (all.Count == 0)
        {
            return $"expr:gte(t,n_forced*{seconds})";
        }

        var slowest = all.MinBy(r => r.Value);
        var fastest = all.MaxBy(r => r.Value);

        // A quarter of the fastest rung's frame early, so a frame exactly on the boundary is never missed by rounding.
        var slack = (0.25 / fastest.Value).ToString("0.#########", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture,
            $"expr:gte(t,ceil(n_forced*{seconds}*{slowest.Numerator}/{slowest.Denominator}-0.000001)*{slowest.Denominator}/{slowest.Numerator}-{slack})");
    }

    /// <summary>
    /// One timescale for every video rung, as CMAF wants of a switching set, in which each rung's frame lasts a whole
    /// number of ticks: MPEG's 90 kHz when it fits them all, else the least common multiple of the rates' numerators
    /// (60000 for 59.94 and 29.97 fps, where ffmpeg would pick 60000 for one and 30000 for the other).
    /// </summary>
    internal static long VideoTimescale(IReadOnlyCollection<FrameRate> rates)
    {
        const long Mpeg = 90_000;
        if (rates.All(r => Mpeg * r.Denominator % r.Numerator == 0))
        {
            return Mpeg;
        }

        return rates.Aggregate(1L, (lcm, r) => lcm / Gcd(lcm, r.Numerator) * r.Numerator);

        static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
    }

    /// <summary>
    /// Interlaced video is made progressive once, before the split: players and Apple's spec want progressive frames,
    /// and scaled while interlaced, the fields smear into each other. One frame per frame (25i stays 25p).
    /// </summary>
    internal static string Deinterlace(SourceInfo source) => source.Interlaced ? "bwdif=mode=send_frame:parity=auto:deint=all," : "";

    /// <summary>
    /// The longest audio tail merged into the segment before it: short enough that the merged segment still rounds to
    /// the target duration (RFC 8216 4.3.3.1).
    /// </summary>
    internal static double AudioTail(double segmentSeconds) => Math.Min(0.49, segmentSeconds / 4);

    /// <summary>Samples of priming ffmpeg's AAC encoder puts before the first real one (its <c>initial_padding</c>).</summary>
    internal const int AacPrimingSamples = 1024;

    /// <summary>
    /// The audio filter. Audio that starts after the video keeps its place: the gap before it is filled with silence,
    /// so both renditions start at 0 and a player that lines segments up by their playlists plays them in sync. And
    /// the encoder's priming is made up for: a fragmented MP4 from ffmpeg has no edit list to skip it, so players
    /// would play it and every sound would come 21 ms after its picture. The first 1024 samples (at 48 kHz) are cut
    /// instead; the priming takes their place and every later sample plays at its own time.
    /// </summary>
    internal static string[] AudioFilter(SourceInfo source) =>
        ["-af", (source.AudioDelaySeconds > 0 ? "aresample=48000:async=1:first_pts=0" : "aresample=48000") + $",atrim=start_sample={AacPrimingSamples}"];

    /// <summary>
    /// The filter graph: one decode (made progressive once), split into one scaler per distinct picture, each split
    /// again into the rungs that share it. Ladders repeat a size at two rates (432p, 720p, 1080p in Apple's), and a
    /// scaler runs on ffmpeg's one filtering thread, so each size is scaled once. Output <c>[vN]</c> feeds rung N.
    /// </summary>
    internal static string Graph(SourceInfo source, IReadOnlyList<Rung> rungs)
    {
        var scales = rungs.Select((r, i) => (Filter: Scale(source, r), Index: i)).GroupBy(s => s.Filter).ToList();
        var graph = new StringBuilder($"[0:v]{Deinterlace(source)}split={scales.Count}");
        graph.AppendJoin("", scales.Select((_, g) => $"[s{g}]"));
        for (var g = 0; g < scales.Count; g++)
        {
            graph.Append($";[s{g}]{scales[g].Key}");
            if (scales[g].Count() > 1)
            {
                graph.Append($",split={scales[g].Count()}");
            }

            graph.AppendJoin("", scales[g].Select(s => $"[v{s.Index}]"));
        }

        return graph.ToString();
    }

    private static string Scale(SourceInfo source, Rung rung)
    {
        var filter = $"scale={rung.Width}:{rung.Height}:flags=bicubic,setsar=1";
        return rung.FrameRate == source.FrameRate.ToString() ? filter : $"{filter},fps={rung.FrameRate}";
    }

    private async Task RunAsync(EncodePlan plan, IReadOnlyList<PlannedRendition> renditions, string workDirectory, CancellationToken cancellationToken)
    {
        var clock = new ProgressClock(time, progress, "encode", plan.Source.DurationSeconds);
        clock.Report(TimeSpan.Zero);
        await ffmpeg.RunAsync([(plan.Source.Path, [])], Outputs(plan, renditions, workDirectory), clock.Report, cancellationToken);
        clock.Report(TimeSpan.FromSeconds(plan.Source.DurationSeconds));
    }

    private async Task<TitleDocument> PackageIntoAsync(EncodePlan plan, string workDirectory, TitleStaging staging, CancellationToken cancellationToken)
    {
        progress.Report(new EncodeProgress("package", 0, null, null));
        var packaged = new List<PackagedRendition>();
        foreach (var rendition in plan.Renditions)
        {
            // Video holds a fragment per key frame, grouped into segments; audio a fragment per segment.
            var media = rendition.Rung is null
                ? await Segmenter.SplitAsync(Path.Combine(workDirectory, rendition.Id + ".mp4"), Path.Combine(staging.Path, rendition.Directory), AudioTail(plan.SegmentSeconds), cancellationToken)
                : await Segmenter.SplitAsync(Path.Combine(workDirectory, rendition.Id + ".mp4"), Path.Combine(staging.Path, rendition.Directory), 0, cancellationToken, plan.SegmentSeconds);
            packaged.Add(new PackagedRendition(rendition.Id, rendition.Directory, media, rendition.Rung?.FrameRate, rendition.AudioBitrate is null ? null : plan.Source.AudioLanguage));
        }

        var video = packaged.Where(p => p.IsVideo).ToList();
        var audio = packaged.FirstOrDefault(p => !p.IsVideo);
        CheckAligned(video);

        foreach (var rendition in packaged)
        {
            var directory = Path.Combine(staging.Path, rendition.Directory);
            await File.WriteAllTextAsync(Path.Combine(directory, "index.m3u8"), HlsWriter.MediaPlaylist(rendition), cancellationToken);
            if (rendition.IsVideo)
            {
                await File.WriteAllTextAsync(Path.Combine(directory, "iframes.m3u8"), HlsWriter.IFramePlaylist(rendition), cancellationToken);
            }
        }

        await File.WriteAllTextAsync(Path.Combine(staging.Path, MasterPlaylist), HlsWriter.MultivariantPlaylist(video, audio), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(staging.Path, Mpd), DashWriter.Write(video, audio, plan.SegmentSeconds), cancellationToken);

        var document = new TitleDocument(
            plan.TitleId,
            Math.Round(video.Max(v => v.Media.DurationSeconds), 3),
            plan.SegmentSeconds,
            plan.Codec,
            MasterPlaylist,
            Mpd,
            [.. packaged.Select(p => Describe(p, plan.Renditions.First(r => r.Id == p.Id)))],
            plan.Ladder,
            time.GetUtcNow());
        await File.WriteAllTextAsync(Path.Combine(staging.Path, LadderFile), JsonSerializer.Serialize(plan.Ladder, EncoderJsonContext.Default.LadderReport), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(staging.Path, TitleFile), JsonSerializer.Serialize(document, EncoderJsonContext.Default.TitleDocument), cancellationToken);

        var local = Path.Combine(staging.Path, ".work");
        if (Directory.Exists(local))
        {
            Directory.Delete(local, recursive: true);
        }

        cancellationToken.ThrowIfCancellationRequested();
        staging.Publish();
        progress.Report(new EncodeProgress("published", 1, null, null));
        return document;
    }

    private static RenditionDocument Describe(PackagedRendition packaged, PlannedRendition planned) => new(
        packaged.Id,
        packaged.Track.Kind,
        packaged.Track.Codecs,
        packaged.PeakBitrate,
        packaged.AverageBitrate,
        packaged.Media.Segments.Count,
        packaged.PlaylistPath)
    {
        Width = packaged.IsVideo ? packaged.Track.Width : null,
        Height = packaged.IsVideo ? packaged.Track.Height : null,
        FrameRate = packaged.FrameRate,
        Channels = packaged.IsVideo ? null : packaged.Track.Channels,
        IFramePlaylist = packaged.IsVideo ? packaged.IFramePlaylistPath : null,
        TargetBitrate = planned.Rung?.Bitrate ?? planned.AudioBitrate ?? 0,
    };

    // Players switch renditions at segment boundaries; every video segment must start with a key frame at the same time.
    private static void CheckAligned(List<PackagedRendition> video)
    {
        var first = video[0];
        foreach (var rendition in video)
        {
            var bad = rendition.Media.Segments.FirstOrDefault(s => !s.StartsWithSyncSample);
            if (bad is not null)
            {
                throw new InvalidDataException($"{rendition.Id}: {bad.File} does not start with a key frame");
            }

            if (rendition.Media.Segments.Count != first.Media.Segments.Count)
            {
                throw new InvalidDataException($"{rendition.Id} has {rendition.Media.Segments.Count} segments but {first.Id} has {first.Media.Segments.Count}");
            }

            for (var i = 0; i < first.Media.Segments.Count; i++)
            {
                var a = (double)first.Media.Segments[i].Start / first.Track.Timescale;
                var b = (double)rendition.Media.Segments[i].Start / rendition.Track.Timescale;
                if (Math.Abs(a - b) > 0.002)
                {
                    throw new InvalidDataException($"segment {i + 1} of {rendition.Id} starts at {b:F3} s but {first.Id}'s starts at {a:F3} s");
                }
            }
        }
    }

    private async Task<ILadderPolicy> PolicyAsync(EncodeRequest request, string work)
    {
        switch (request.Ladder)
        {
            case "default":
                return new AppleLadderPolicy();
            case "per-title":
                var scorer = await ScorerAsync(ffmpeg, request.Metric, request.Vmaf);
                return new PerTitleLadderPolicy(ffmpeg, scorer, request.PerTitle, work);
            default:
                if (!File.Exists(request.Ladder))
                {
                    throw new EncoderException($"--ladder must be 'default', 'per-title' or a ladder JSON file; '{request.Ladder}' does not exist");
                }

                return new FileLadderPolicy(request.Ladder);
        }
    }

    /// <summary>
    /// The per-title metric and the ffmpeg that measures it: VMAF when the encoding ffmpeg has libvmaf or
    /// <see cref="VmafOptions.Ffmpeg"/> names one that has, else SSIM (with <c>auto</c>).
    /// </summary>
    public static async Task<QualityScorer> ScorerAsync(FfmpegRunner ffmpeg, string name, VmafOptions vmaf)
    {
        var vmafRunner = await VmafRunnerAsync(ffmpeg, vmaf);
        return name switch
        {
            "auto" when vmafRunner is not null => new QualityScorer(vmafRunner, new VmafMetric(vmaf.Model), vmaf.Subsample),
            "auto" => new QualityScorer(ffmpeg, new SsimMetric()),
            "vmaf" => new QualityScorer(
                vmafRunner ?? throw new EncoderException("--metric vmaf needs an ffmpeg built with libvmaf; this one has none (point --vmaf-ffmpeg at one, or use ssim or psnr)"),
                new VmafMetric(vmaf.Model),
                vmaf.Subsample),
            "ssim" => new QualityScorer(ffmpeg, new SsimMetric()),
            "psnr" => new QualityScorer(ffmpeg, new PsnrMetric()),
            _ => throw new EncoderException($"--metric must be auto, vmaf, ssim or psnr, not '{name}'"),
        };
    }

    /// <summary>The ffmpeg that has libvmaf, or null; a named one without it, or a model that is not there, fails naming the option.</summary>
    public static async Task<FfmpegRunner?> VmafRunnerAsync(FfmpegRunner ffmpeg, VmafOptions vmaf)
    {
        if (vmaf.Model is not null && (!File.Exists(vmaf.Model) || vmaf.Model.Any(c => c is ':' or '\\' or '\'' or ',' or ';' or '[' or ']')))
        {
            throw new EncoderException($"--vmaf-model '{vmaf.Model}' is not a readable model file (or its path holds a character ffmpeg's filter syntax reserves: : \\ ' , ; [ ])");
        }

        if (vmaf.Subsample is < 1 or > 100)
        {
            throw new EncoderException($"--vmaf-subsample must be between 1 and 100, not {vmaf.Subsample}");
        }

        if (vmaf.Ffmpeg is null)
        {
            return await ffmpeg.Toolchain.HasFilterAsync("libvmaf") ? ffmpeg : null;
        }

        var toolchain = Toolchain.ForMetrics(vmaf.Ffmpeg, "--vmaf-ffmpeg");
        return await toolchain.HasFilterAsync("libvmaf")
            ? new FfmpegRunner(toolchain)
            : throw new EncoderException($"--vmaf-ffmpeg '{vmaf.Ffmpeg}' has no libvmaf filter");
    }
}
