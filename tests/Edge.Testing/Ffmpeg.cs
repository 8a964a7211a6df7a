namespace Edge.Testing;

/// <summary>Runs the real ffmpeg: to make short sample titles, and as an HLS client nobody here wrote.</summary>
public static class Ffmpeg
{
    public static Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, params string[] args) =>
        ToolProcess.RunAsync("ffmpeg", timeout, ["-hide_banner", "-nostdin", .. args]);

    /// <summary>
    /// Writes a short CMAF HLS title (fMP4 init + 2 s segments, two renditions and a master playlist)
    /// generated from ffmpeg's test sources into <paramref name="directory"/>.
    /// </summary>
    public static async Task CreateSampleTitleAsync(string directory, int seconds = 6)
    {
        Directory.CreateDirectory(directory);
        var (code, output) = await RunAsync(
            TimeSpan.FromMinutes(2),
            "-loglevel", "error",
            "-f", "lavfi", "-i", $"testsrc2=size=320x180:rate=25:duration={seconds}",
            "-f", "lavfi", "-i", $"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-filter_complex", "[0:v]split=2[a][b];[b]scale=160:90[b2]",
            "-map", "[a]", "-map", "[b2]", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
            "-b:v:0", "300k", "-b:v:1", "100k", "-c:a", "aac", "-b:a", "64k",
            "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
            "-hls_fmp4_init_filename", "init.mp4",
            "-master_pl_name", "master.m3u8",
            "-var_stream_map", "v:0,agroup:aud v:1,agroup:aud a:0,agroup:aud",
            "-hls_segment_filename", Path.Combine(directory, "v%v/seg_%03d.m4s"),
            Path.Combine(directory, "v%v/index.m3u8"));
        if (code != 0)
        {
            throw new InvalidOperationException("ffmpeg could not make the sample title: " + output);
        }
    }
}
