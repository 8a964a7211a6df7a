using Edge.Encoder.Ladder;
using FFMpegCore;

namespace Edge.Encoder.Encoding;

/// <summary>Reads a source with ffprobe and turns what is wrong with it into a clear <see cref="EncoderException"/>.</summary>
public static class SourceProbe
{
    public static async Task<SourceInfo> ProbeAsync(string path, Toolchain toolchain, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new EncoderException($"input '{path}' is a directory, not a video file");
        }

        if (!File.Exists(full))
        {
            throw new EncoderException($"input '{path}' does not exist");
        }

        try
        {
            await using (File.OpenRead(full))
            {
            }
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new EncoderException($"input '{path}' cannot be read: {ex.Message}", ex);
        }

        IMediaAnalysis analysis;
        try
        {
            analysis = await FFProbe.AnalyseAsync(full, toolchain.Options, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var reason = ex.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim();
            throw new EncoderException($"input '{path}' is not a video ffprobe can read: {reason}", ex);
        }

        var video = analysis.PrimaryVideoStream;
        if (video is null || video.Width is not > 0 || video.Height is not > 0)
        {
            throw new EncoderException($"input '{path}' has no video stream");
        }

        var raw = analysis.Raw.Streams.FirstOrDefault(s => s.Index == video.Index);
        if (!FrameRate.TryParse(raw?.AvgFrameRate, out var rate) && !FrameRate.TryParse(raw?.FrameRate, out rate))
        {
            throw new EncoderException($"input '{path}': ffprobe reports no frame rate for its video");
        }

        var duration = analysis.Duration.TotalSeconds > 0 ? analysis.Duration.TotalSeconds : video.Duration.TotalSeconds;
        if (IsStillImage(video.CodecName, duration, rate))
        {
            throw new EncoderException(
                $"input '{path}' is a still image ({video.CodecName}), not a video; make a video of it first, for example: " +
                $"ffmpeg -loop 1 -i '{path}' -t 10 -r 30 -c:v libx264 -pix_fmt yuv420p still.mp4");
        }

        if (duration <= 0)
        {
            throw new EncoderException($"input '{path}': ffprobe reports no duration");
        }

        // The ladder is cut to what the viewer sees: non-square pixels (anamorphic DVD and broadcast video, 720x576 at
        // 64:45 is 16:9) widened to square ones, and rotated phone video on its side.
        var displayWidth = DisplayWidth(video.Width.Value, video.SampleAspectRatio);
        var (width, height) = Math.Abs(video.Rotation) % 180 == 90 ? (video.Height.Value, displayWidth) : (displayWidth, video.Height.Value);
        var audio = analysis.PrimaryAudioStream;
        var facts = await StreamFactsAsync(toolchain, full, video.Index, audio?.Index, cancellationToken);
        return new SourceInfo(full, width, height, rate, duration, audio is not null, audio?.Language)
        {
            Interlaced = facts.Interlaced,
            AudioDelaySeconds = facts.AudioDelaySeconds,
        };
    }

    /// <summary>
    /// What FFMpegCore does not read: whether the video is interlaced (its field order), and how long after the video
    /// the audio starts (a source's audio may begin seconds in; moved to 0 it would play out of sync).
    /// </summary>
    private static async Task<(bool Interlaced, double AudioDelaySeconds)> StreamFactsAsync(Toolchain toolchain, string path, int videoIndex, int? audioIndex, CancellationToken cancellationToken)
    {
        var info = new System.Diagnostics.ProcessStartInfo(Path.Combine(toolchain.Folder, "ffprobe"),
            ["-v", "error", "-show_entries", "stream=index,field_order,start_time", "-of", "json", path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = System.Diagnostics.Process.Start(info) ?? throw new EncoderException("ffprobe could not be started");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        _ = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            return (false, 0);
        }

        using var json = System.Text.Json.JsonDocument.Parse(await output);
        string? fieldOrder = null;
        double? videoStart = null, audioStart = null;
        if (!json.RootElement.TryGetProperty("streams", out var streams) || streams.ValueKind != System.Text.Json.JsonValueKind.Array)
        {
            return (false, 0);
        }

        foreach (var stream in streams.EnumerateArray())
        {
            var index = stream.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : -1;
            var start = stream.TryGetProperty("start_time", out var t) && t.ValueKind == System.Text.Json.JsonValueKind.String && double.TryParse(t.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? seconds : (double?)null;
            if (index == videoIndex)
            {
                fieldOrder = stream.TryGetProperty("field_order", out var f) && f.ValueKind == System.Text.Json.JsonValueKind.String ? f.GetString() : null;
                videoStart = start;
            }
            else if (index == audioIndex)
            {
                audioStart = start;
            }
        }

        // tt, bb, tb, bt are interlaced; "progressive" and "unknown" are treated as progressive.
        var interlaced = fieldOrder is "tt" or "bb" or "tb" or "bt";
        var delay = videoStart is { } v && audioStart is { } a ? Math.Round(Math.Max(0, a - v), 3) : 0;
        return (interlaced, delay);
    }

    /// <summary>An image format, or a video of at most one frame: nothing to cut a ladder of segments from.</summary>
    internal static bool IsStillImage(string? codec, double durationSeconds, FrameRate rate) =>
        (codec is "png" or "mjpeg" or "bmp" or "gif" or "webp" or "tiff" or "jpegls" or "jpeg2000" or "ppm" or "pgm" && durationSeconds * rate.Value <= 1.5)
        || (durationSeconds > 0 && durationSeconds * rate.Value <= 1.5);

    /// <summary>The width of a frame shown with square pixels, rounded to even; an unknown ratio (0:1) is square.</summary>
    internal static int DisplayWidth(int width, (int Width, int Height) sampleAspectRatio)
    {
        var (num, den) = sampleAspectRatio;
        if (num <= 0 || den <= 0 || num == den)
        {
            return width;
        }

        return Math.Max(2, (int)Math.Round((double)width * num / den / 2) * 2);
    }
}
