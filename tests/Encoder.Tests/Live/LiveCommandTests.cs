using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Edge.Testing;

namespace Edge.Encoder.Tests.Live;

/// <summary><c>Encoder live</c> as an operator runs it: a real process, ffmpeg encoding in real time, real players reading it.</summary>
public sealed partial class LiveCommandTests
{
    [Fact]
    public async Task Live_TestSource_FfmpegReadsItLiveAndTheVodItBecomes()
    {
        using var temp = new TempDirectory();
        var content = Path.Combine(temp.Path, "content");
        await using var process = await HostProcess.StartAsync("Encoder.dll",
            "live", "--content", content, "--title", "ev", "--ladder", "192x108@200k,128x72@100k",
            "--segment-duration", "1", "--part-duration", "0.25", "--dvr", "8", "--preset", "ultrafast", "--audio-bitrate", "64000", "--urls=http://127.0.0.1:0");
        using var client = new HttpClient { BaseAddress = new Uri(process.Url), Timeout = TimeSpan.FromSeconds(30) };

        string playlist = "";
        await Poll.UntilAsync(async () =>
        {
            using var response = await client.GetAsync("/ev/108p/index.m3u8");
            playlist = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.OK && playlist.Contains("#EXTINF", StringComparison.Ordinal);
        }, "a first segment", TimeSpan.FromSeconds(60));
        Assert.Contains("#EXT-X-PART-INF:PART-TARGET=0.25\n", playlist, StringComparison.Ordinal);
        Assert.Contains("#EXT-X-PRELOAD-HINT:TYPE=PART", playlist, StringComparison.Ordinal);

        // A blocking reload for the segment after the newest is answered when ffmpeg finishes it: within its hold.
        var next = long.Parse(MediaSequence().Match(playlist).Groups[1].Value, CultureInfo.InvariantCulture) + Regex.Count(playlist, "#EXTINF");
        using (var blocked = await client.GetAsync($"/ev/108p/index.m3u8?_HLS_msn={next}"))
        {
            Assert.Equal(HttpStatusCode.OK, blocked.StatusCode);
            Assert.Contains($"seg{next}.m4s", await blocked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // ffmpeg, as an HLS client nobody here wrote, plays two seconds of the live ladder with its audio.
        var (code, output) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(1), "-loglevel", "error", "-i", $"{process.Url}/ev/master.m3u8",
            "-map", "0:v:0", "-map", "0:a:0", "-t", "2", "-f", "null", "-");
        Assert.True(code == 0, output);

        // hls-parser from npm, in strict mode, reads the multivariant playlist, a media playlist and a delta update.
        var parsed = await HlsParserAsync(
            $"{process.Url}/ev/master.m3u8", $"{process.Url}/ev/108p/index.m3u8", $"{process.Url}/ev/72p/index.m3u8?_HLS_msn={next}&_HLS_part=0&_HLS_skip=YES");
        Assert.Equal(2, parsed[0].GetProperty("variants").GetInt32());
        foreach (var media in parsed.Skip(1))
        {
            Assert.True(media.GetProperty("canBlockReload").GetBoolean());
            Assert.Equal(0.25, media.GetProperty("partTarget").GetDouble());
            Assert.True(media.GetProperty("parts").GetInt32() > 0);
            Assert.Equal(1, media.GetProperty("preloadHints").GetInt32());
            Assert.Equal(2, media.GetProperty("renditionReports").GetInt32());
            Assert.Equal(media.GetProperty("segments").GetInt32(), media.GetProperty("programDateTimes").GetInt32());
        }

        // And a DASH client nobody here wrote plays the low-latency MPD over the same segments.
        (code, output) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(1), "-loglevel", "error", "-i", $"{process.Url}/ev/manifest.mpd",
            "-map", "0:v:0", "-map", "0:a:0", "-t", "2", "-f", "null", "-");
        Assert.True(code == 0, output);

        process.Interrupt();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("published as VOD", process.Output, StringComparison.Ordinal);

        var vod = await File.ReadAllTextAsync(Path.Combine(content, "ev", "108p", "index.m3u8"));
        Assert.Contains("#EXT-X-PLAYLIST-TYPE:VOD", vod, StringComparison.Ordinal);
        Assert.EndsWith("#EXT-X-ENDLIST\n", vod, StringComparison.Ordinal);
        (code, output) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(1), "-loglevel", "error", "-i", Path.Combine(content, "ev", "master.m3u8"),
            "-map", "0:v:0", "-map", "0:a:0", "-f", "null", "-");
        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task Live_SrtPush_EncodedAsItArrivesAndPublishedWhenItEnds()
    {
        using var temp = new TempDirectory();
        var content = Path.Combine(temp.Path, "content");
        var port = FreePort.Next();
        await using var process = await HostProcess.StartAsync("Encoder.dll",
            "live", "--content", content, "--title", "pushed", "--source", $"srt://127.0.0.1:{port}", "--ladder", "128x72@100k",
            "--segment-duration", "1", "--part-duration", "0.25", "--dvr", "8", "--preset", "ultrafast", "--exit-at-end", "--urls=http://127.0.0.1:0");

        // A contribution encoder (ffmpeg here; OBS does the same) pushes MPEG-TS over SRT until it has been seen live
        // for four segments, then stops as an operator stops it (SIGINT). A push of fixed length could end before a
        // busy machine has the command and its ffmpeg up, and the event with it.
        using var push = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ffmpeg",
        [
            "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30",
            "-re", "-f", "lavfi", "-i", "sine=frequency=500:sample_rate=48000", "-t", "60",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-c:a", "aac", "-f", "mpegts", $"srt://127.0.0.1:{port}?mode=caller",
        ]) { RedirectStandardError = true })!;
        var pushLog = push.StandardError.ReadToEndAsync();
        using var client = new HttpClient { BaseAddress = new Uri(process.Url), Timeout = TimeSpan.FromSeconds(30) };
        await Poll.UntilAsync(async () =>
        {
            using var response = await client.GetAsync("/pushed/72p/index.m3u8");
            var text = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.OK && text.Contains("#EXT-X-PART:", StringComparison.Ordinal) && Regex.Count(text, "#EXTINF") >= 4;
        }, "four segments of the pushed stream, with parts", TimeSpan.FromSeconds(60));

        HostProcess.Interrupt(push.Id);
        await push.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await pushLog;

        // The push ended: the event is published as VOD and the command exits.
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var vod = await File.ReadAllTextAsync(Path.Combine(content, "pushed", "72p", "index.m3u8"));
        Assert.EndsWith("#EXT-X-ENDLIST\n", vod, StringComparison.Ordinal);
        Assert.True(Regex.Count(vod, "#EXTINF") >= 4, vod);
    }

    [Theory]
    [InlineData("--part-duration", "1.5", "--part-duration")]
    [InlineData("--segment-duration", "30", "--segment-duration")]
    [InlineData("--dvr", "5", "--dvr")]
    [InlineData("--ladder", "720p", "--ladder")]
    [InlineData("--frame-rate", "fast", "--frame-rate")]
    [InlineData("--title", "../x", "title id")]
    public async Task Live_BadSetting_Exits2NamingIt(string option, string value, string named)
    {
        using var temp = new TempDirectory();
        string[] args = ["live", "--content", temp.Path, "--title", "ev", option, value];
        await using var process = HostProcess.Launch("Encoder.dll", args);
        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(named, process.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    private static async Task<List<System.Text.Json.JsonElement>> HlsParserAsync(params string[] urls)
    {
        var info = new System.Diagnostics.ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryFiles.Root,
        };
        info.ArgumentList.Add(RepositoryFiles.PathOf("tests/Encoder.Tests/Live/hls-parse.mjs"));
        foreach (var url in urls)
        {
            info.ArgumentList.Add(url);
        }

        using var node = System.Diagnostics.Process.Start(info)!;
        var stderr = node.StandardError.ReadToEndAsync();
        var stdout = await node.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromMinutes(1));
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(node.ExitCode == 0, "hls-parser refused a playlist: " + await stderr);
        return [.. System.Text.Json.JsonDocument.Parse(stdout).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    [GeneratedRegex(@"#EXT-X-MEDIA-SEQUENCE:(\d+)")]
    private static partial Regex MediaSequence();
}
