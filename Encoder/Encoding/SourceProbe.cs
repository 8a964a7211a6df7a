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
        if (duration <= 0)
        {
            throw new EncoderException($"input '{path}': ffprobe reports no duration");
        }

        // Rotated phone video is displayed on its side; the ladder is cut to what the viewer sees.
        var (width, height) = Math.Abs(video.Rotation) % 180 == 90 ? (video.Height.Value, video.Width.Value) : (video.Width.Value, video.Height.Value);
        var audio = analysis.PrimaryAudioStream;
        return new SourceInfo(full, width, height, rate, duration, audio is not null, audio?.Language);
    }
}
