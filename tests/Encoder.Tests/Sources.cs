using Edge.Testing;

namespace Edge.Encoder.Tests;

/// <summary>Short sources made by ffmpeg: hard (moving test pattern) and easy (a still slide), with audio.</summary>
public static class Sources
{
    /// <summary>ffmpeg's moving test pattern, with a tone: content that keeps a full ladder.</summary>
    public static Task<string> HardAsync(string directory, int width = 640, int height = 360, int seconds = 6, int rate = 30) =>
        MakeAsync(Path.Combine(directory, $"hard-{width}x{height}-{seconds}s.mp4"), $"testsrc2=size={width}x{height}:rate={rate}:duration={seconds}", seconds, audio: true);

    /// <summary>A still slide (colour bars), with a tone: content a cheap ladder serves as well.</summary>
    public static Task<string> EasyAsync(string directory, int width = 640, int height = 360, int seconds = 6) =>
        MakeAsync(Path.Combine(directory, $"easy-{width}x{height}-{seconds}s.mp4"), $"smptebars=size={width}x{height}:rate=30:duration={seconds}", seconds, audio: true);

    public static Task<string> AudioOnlyAsync(string directory) =>
        MakeAsync(Path.Combine(directory, "tone.m4a"), null, 2, audio: true);

    private static async Task<string> MakeAsync(string path, string? video, int seconds, bool audio)
    {
        List<string> args = ["-loglevel", "error", "-y"];
        if (video is not null)
        {
            args.AddRange(["-f", "lavfi", "-i", video]);
        }

        if (audio)
        {
            args.AddRange(["-f", "lavfi", "-i", $"sine=frequency=440:sample_rate=44100:duration={seconds}"]);
        }

        if (video is not null)
        {
            args.AddRange(["-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p"]);
        }

        args.AddRange(["-c:a", "aac", "-shortest", path]);
        var (code, output) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(2), [.. args]);
        return code == 0 ? path : throw new InvalidOperationException("ffmpeg could not make " + path + ": " + output);
    }
}
