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

    /// <summary>The moving test pattern at a frame rate such as <c>60000/1001</c>, with a tone.</summary>
    public static Task<string> AtRateAsync(string directory, string rate, int seconds, int width = 320, int height = 180) =>
        MakeAsync(Path.Combine(directory, $"rate-{rate.Replace('/', '_')}-{seconds}s.mp4"), $"testsrc2=size={width}x{height}:rate={rate}:duration={seconds}", seconds, audio: true);

    /// <summary>Video from an ffmpeg lavfi graph (a source and its filters: <c>setsar</c>, <c>interlace</c>...), with a tone.</summary>
    public static Task<string> LavfiAsync(string directory, string name, string graph, int seconds, params string[] videoArguments) =>
        MakeAsync(Path.Combine(directory, name + ".mp4"), graph, seconds, audio: true, videoArguments);

    /// <summary>The moving test pattern with a tone that starts <paramref name="audioOffset"/> seconds after the first frame.</summary>
    public static async Task<string> LateAudioAsync(string directory, string audioOffset, int seconds)
    {
        var path = Path.Combine(directory, $"late-audio-{seconds}s.mp4");
        var (code, output) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(2), "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", $"testsrc2=size=320x180:rate=30:duration={seconds}",
            "-itsoffset", audioOffset, "-f", "lavfi", "-i", $"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-t", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), path);
        return code == 0 ? path : throw new InvalidOperationException("ffmpeg could not make " + path + ": " + output);
    }

    public static Task<string> AudioOnlyAsync(string directory) =>
        MakeAsync(Path.Combine(directory, "tone.m4a"), null, 2, audio: true);

    private static async Task<string> MakeAsync(string path, string? video, int seconds, bool audio, params string[] videoArguments)
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
            args.AddRange(["-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p", .. videoArguments]);
        }

        args.AddRange(["-c:a", "aac", "-shortest", path]);
        var (code, output) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(2), [.. args]);
        return code == 0 ? path : throw new InvalidOperationException("ffmpeg could not make " + path + ": " + output);
    }
}
