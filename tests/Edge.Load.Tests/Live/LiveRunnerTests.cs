using Edge.Encoder.Cli;
using Edge.Load.Live;
using Edge.Testing;

namespace Edge.Load.Tests.Live;

public sealed class LiveRunnerTests
{
    [Fact]
    public void Parse_DeltaPlaylistWithParts_SequenceNumbersAndProgramClock()
    {
        const string Text = """
            #EXTM3U
            #EXT-X-TARGETDURATION:2
            #EXT-X-PART-INF:PART-TARGET=0.5
            #EXT-X-MEDIA-SEQUENCE:100
            #EXT-X-MAP:URI="init.mp4"
            #EXT-X-SKIP:SKIPPED-SEGMENTS=4
            #EXT-X-PROGRAM-DATE-TIME:2026-12-05T12:00:00.000Z
            #EXT-X-PART:DURATION=0.5,URI="part1.m4s",INDEPENDENT=YES
            #EXT-X-PART:DURATION=0.5,URI="part2.m4s"
            #EXTINF:1.0,
            seg104.m4s
            #EXT-X-PROGRAM-DATE-TIME:2026-12-05T12:00:01.000Z
            #EXT-X-PART:DURATION=0.5,URI="part3.m4s",INDEPENDENT=YES
            #EXT-X-PRELOAD-HINT:TYPE=PART,URI="part4.m4s"
            """;
        var playlist = LivePlaylist.Parse(Text, new Uri("http://edge/ev/360p/index.m3u8"));

        Assert.Equal(new Uri("http://edge/ev/360p/init.mp4"), playlist.Init);
        Assert.Equal(3, playlist.Parts.Count);
        Assert.Equal((104L, 0), (playlist.Parts[0].Msn, playlist.Parts[0].Index));
        Assert.Equal((104L, 1), (playlist.Parts[1].Msn, playlist.Parts[1].Index));
        Assert.Equal((105L, 0, "http://edge/ev/360p/part3.m4s"), (playlist.Last!.Msn, playlist.Last.Index, playlist.Last.Uri.ToString()));
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 12, 0, 1, 500, TimeSpan.Zero), playlist.Last.Ends);
        Assert.Equal(105, playlist.NextMsn);
        Assert.False(playlist.Ended);
    }

    [Fact]
    public void ParseLive_NoPlaylist_UsageError()
    {
        var error = Assert.Throws<UsageException>(() => Program.ParseLive(["--viewers", "3"]));
        Assert.Contains("--playlist", error.Message, StringComparison.Ordinal);
        Assert.Throws<UsageException>(() => Program.ParseLive(["--playlist", "http://127.0.0.1:1/p.m3u8", "--viewers", "0"]));
    }

    [Fact]
    public async Task RunAsync_RealLiveEncoder_EveryViewerFollowsTheLiveEdge()
    {
        using var temp = new TempDirectory();
        await using var origin = await HostProcess.StartAsync("Encoder.dll",
            "live", "--content", temp.Path, "--title", "ev", "--ladder", "128x72@100k", "--no-audio",
            "--segment-duration", "1", "--part-duration", "0.25", "--dvr", "8", "--preset", "ultrafast", "--urls=http://127.0.0.1:0");
        var playlist = new Uri(origin.Url + "/ev/72p/index.m3u8");
        using var client = new HttpClient();
        await Poll.UntilAsync(async () =>
        {
            // 404 until the encoder has written its first playlist: not yet, not a failure.
            using var response = await client.GetAsync(playlist);
            return response.IsSuccessStatusCode && (await response.Content.ReadAsStringAsync()).Contains("#EXTINF", StringComparison.Ordinal);
        }, "a first segment", TimeSpan.FromSeconds(60));

        var runner = new LiveRunner(new LiveOptions { Playlist = playlist, Viewers = 20, Duration = TimeSpan.FromSeconds(4), Ramp = TimeSpan.FromSeconds(0.5) }, TimeProvider.System);
        var report = await runner.RunAsync(CancellationToken.None);

        Assert.Equal(0, report.FailedViewers);
        Assert.Empty(report.Errors);

        // Four parts a second for four seconds, give or take the ramp, for each viewer; each had it well under a second after it was done.
        Assert.True(report.PartFetches.Count >= 20 * 8, $"{report.PartFetches.Count} parts fetched");
        Assert.True(report.Reloads.Count >= 20 * 8, $"{report.Reloads.Count} blocking reloads");
        Assert.True(report.PartBehindLive.P50Ms < 1000, $"parts {report.PartBehindLive.P50Ms} ms behind live at the median");
    }
}
