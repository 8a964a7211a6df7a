using System.Globalization;
using System.Text;
using Edge.Load.Players;
using Edge.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Load.Tests.Players;

/// <summary>Simulated viewers against a real edge node filling from a real origin, in real time (a few seconds).</summary>
public sealed class PlayerRunnerTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private static readonly int[] Bandwidths = [200_000, 800_000, 2_000_000];
    private readonly TempDirectory _cache = new();
    private OriginServer _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        AddTitle(_origin, "/t", segmentSeconds: 2, segments: 12);
        _edge = await EdgeHost.StartAsync(_origin.Url, _cache.Path, nodeId: "edge-p");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cache.Dispose();
    }

    [Fact]
    public async Task RunAsync_TwoViewers_StartClimbToTheTopRungAndPlayWithoutRebuffering()
    {
        // 2 s segments: a segment may take up to 2 s to arrive (a cold fill on a busy machine) before a viewer
        // that started after one segment runs dry.
        var options = new PlayerOptions { Master = new Uri(_edge.Url.TrimEnd('/') + "/t/master.m3u8"), Viewers = 2, Duration = TimeSpan.FromSeconds(2.5), BufferGoal = TimeSpan.FromSeconds(4) };

        var report = await new PlayerRunner(options, TimeProvider.System).RunAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(2, report.Sessions.Count);
        foreach (var session in report.Sessions)
        {
            Assert.Null(session.Failure);
            Assert.InRange(session.StartupMs!.Value, 0.01, 2000);

            // Two segments fill the 4 s buffer goal, a third goes in as the first drains, then the viewer waits.
            Assert.InRange(session.Segments, 3, 4);
            Assert.Equal(0, session.Rebuffers);
            Assert.True(session.AchievedKbps > 200, $"achieved {session.AchievedKbps} kbit/s");
            Assert.True(session.Switches >= 1);
            Assert.Equal(["edge-p"], session.Nodes.Keys);
            Assert.Empty(session.Errors);
        }

        Assert.Equal(report.Sessions.Sum(s => s.Segments), report.SegmentLatency.Count);
        Assert.Equal(2, report.Startup.Count);
        Assert.Equal(0, report.FailedSessions);
        Assert.InRange(report.Seconds, 2.4, 2.5);
    }

    [Fact]
    public async Task RunAsync_WithCmcd_TheEdgeCountsTheSessionAndNextSegmentsAreHits()
    {
        // The viewer keeps less than a segment ahead, so after each segment it waits on this clock for its buffer to
        // drain. The clock moves half a second at a time, and only while the edge runs no fill: every wait is at least a
        // second, so the step that ends one comes after a look taken during it, when the prefetch of the segment the
        // viewer named had already started. Whether the prefetch wins a race with the viewer is then not a question.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new PlayerOptions
        {
            Master = new Uri(_edge.Url.TrimEnd('/') + "/t/master.m3u8"), Viewers = 1, Duration = TimeSpan.FromHours(1), Timeout = TimeSpan.FromHours(1),
            BufferGoal = TimeSpan.FromSeconds(1), Cmcd = true,
        };
        var runner = new PlayerRunner(options, time);
        using var done = new CancellationTokenSource();
        var run = runner.RunAsync(done.Token);

        // The master, a playlist and an init segment for each of at most three renditions, and six segments.
        await Poll.UntilAsync(async () =>
        {
            if (run.IsCompleted || runner.Counters.StatusCodes.GetValueOrDefault("200") >= 13)
            {
                return true;
            }

            if ((await _edge.Client.GetStringAsync("/metrics")).Contains("edge_origin_fills_active{node=\"edge-p\"} 0", StringComparison.Ordinal))
            {
                time.Advance(TimeSpan.FromSeconds(0.5));
            }

            return false;
        }, "the viewer to fetch six segments", Bound);
        await done.CancelAsync();
        var report = await run.WaitAsync(Bound);

        var session = Assert.Single(report.Sessions);
        Assert.Null(session.Failure);
        Assert.True(session.VideoSegments >= 4, $"{session.VideoSegments} segments");

        // Each segment named the next: only the first of each rendition the viewer played was not already stored.
        Assert.True(session.VideoSegmentHits >= session.VideoSegments - session.Switches - 1, $"{session.VideoSegmentHits} hits of {session.VideoSegments}, {session.Switches} switches");
        Assert.Equal(Math.Round((double)session.VideoSegmentHits / session.VideoSegments, 4), report.SegmentHitRatio);
        var metrics = await _edge.Client.GetStringAsync("/metrics");
        Assert.Contains("edge_cmcd_sessions_active{node=\"edge-p\"} 1", metrics, StringComparison.Ordinal);
        Assert.Matches("edge_prefetch_total\\{result=\"started\",node=\"edge-p\"\\} [1-9]", metrics);
        Assert.Matches("edge_cmcd_requests_total\\{ot=\"v\",sf=\"h\",node=\"edge-p\"\\} [1-9]", metrics);
    }

    [Fact]
    public async Task RunAsync_DefaultPathwayFailing_ViewerMovesToTheNextPathwayAndKeepsPlaying()
    {
        await using var broken = await LoadTarget.StartAsync(context =>
        {
            context.Response.StatusCode = 503;
            return Task.CompletedTask;
        });
        var master = SteeredMaster([("broken", broken.Url), ("edge-p", _edge.Url.TrimEnd('/'))], defaultPathway: "broken");
        _origin.Add("/steered/master.m3u8", Encoding.UTF8.GetBytes(master), "application/vnd.apple.mpegurl");
        var options = new PlayerOptions { Master = new Uri(_edge.Url.TrimEnd('/') + "/steered/master.m3u8"), Viewers = 1, Duration = Bound, BufferGoal = TimeSpan.FromSeconds(1) };
        var runner = new PlayerRunner(options, TimeProvider.System);

        // Stopped once the state asserted below is reached, not after a time a busy machine may not keep:
        // the failure seen, then eight answers: the master, the init segment and, even with the media playlist
        // fetched again before each segment, three segments.
        using var done = new CancellationTokenSource();
        var run = runner.RunAsync(done.Token);
        await Poll.UntilAsync(() => Task.FromResult(run.IsCompleted || (runner.Counters.ErrorCount >= 1 && runner.Counters.StatusCodes.GetValueOrDefault("200") >= 8)),
            "the viewer to fail over and play two segments", Bound);
        await done.CancelAsync();
        var report = await run.WaitAsync(Bound);

        var session = Assert.Single(report.Sessions);
        Assert.Null(session.Failure);
        Assert.Equal(1, session.Failovers);
        Assert.Equal(1, session.Errors["http_503"]);
        Assert.True(session.Segments >= 2);
        Assert.Equal(["edge-p"], session.Nodes.Keys);
    }

    [Fact]
    public async Task RunAsync_SegmentsSlowerThanRealTime_RebuffersCounted()
    {
        await using var slow = await LoadTarget.StartAsync(async context =>
        {
            var path = context.Request.Path.Value!;
            if (path.EndsWith(".m3u8", StringComparison.Ordinal))
            {
                await context.Response.WriteAsync(path.EndsWith("master.m3u8", StringComparison.Ordinal)
                    ? "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\nv/index.m3u8\n"
                    : MediaPlaylist(0.2, 20));
                return;
            }

            // Each 0.2 s segment takes 0.3 s to arrive: the buffer can only drain.
            await Task.Delay(TimeSpan.FromMilliseconds(300), context.RequestAborted);
            await context.Response.Body.WriteAsync(new byte[2500], context.RequestAborted);
        });
        var options = new PlayerOptions { Master = slow.At("/master.m3u8"), Viewers = 1, Duration = TimeSpan.FromSeconds(2), BufferGoal = TimeSpan.FromSeconds(1) };

        var report = await new PlayerRunner(options, TimeProvider.System).RunAsync(CancellationToken.None).WaitAsync(Bound);

        var session = Assert.Single(report.Sessions);
        Assert.True(session.Rebuffers >= 2, $"{session.Rebuffers} rebuffers");
        Assert.True(session.RebufferSeconds > 0.1);
        Assert.True(report.RebufferRatio > 0);
    }

    private static void AddTitle(OriginServer origin, string prefix, double segmentSeconds, int segments)
    {
        var master = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:7\n");
        for (var v = 0; v < Bandwidths.Length; v++)
        {
            master.Append(CultureInfo.InvariantCulture, $"#EXT-X-STREAM-INF:BANDWIDTH={Bandwidths[v]}\nv{v}/index.m3u8\n");
            origin.Add($"{prefix}/v{v}/index.m3u8", Encoding.UTF8.GetBytes(MediaPlaylist(segmentSeconds, segments)), "application/vnd.apple.mpegurl");
            origin.Add($"{prefix}/v{v}/init.mp4", new byte[800], "video/mp4");
            for (var s = 1; s <= segments; s++)
            {
                origin.Add($"{prefix}/v{v}/seg_{s:D5}.m4s", new byte[(int)(Bandwidths[v] * segmentSeconds / 8)], "video/iso.segment");
            }
        }

        origin.Add($"{prefix}/master.m3u8", Encoding.UTF8.GetBytes(master.ToString()), "application/vnd.apple.mpegurl");
    }

    private static string SteeredMaster(IReadOnlyList<(string Id, string BaseUrl)> pathways, string defaultPathway)
    {
        var master = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:7\n");
        master.Append(CultureInfo.InvariantCulture, $"#EXT-X-CONTENT-STEERING:SERVER-URI=\"http://127.0.0.1:1/steer\",PATHWAY-ID=\"{defaultPathway}\"\n");
        foreach (var (id, baseUrl) in pathways)
        {
            for (var v = 0; v < Bandwidths.Length; v++)
            {
                master.Append(CultureInfo.InvariantCulture, $"#EXT-X-STREAM-INF:BANDWIDTH={Bandwidths[v]},PATHWAY-ID=\"{id}\"\n{baseUrl}/t/v{v}/index.m3u8\n");
            }
        }

        return master.ToString();
    }

    private static string MediaPlaylist(double segmentSeconds, int segments)
    {
        var playlist = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:{Math.Ceiling(segmentSeconds)}\n#EXT-X-MAP:URI=\"init.mp4\"\n"));
        for (var s = 1; s <= segments; s++)
        {
            playlist.Append(CultureInfo.InvariantCulture, $"#EXTINF:{segmentSeconds:0.000},\nseg_{s:D5}.m4s\n");
        }

        return playlist.Append("#EXT-X-ENDLIST\n").ToString();
    }
}
