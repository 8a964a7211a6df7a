using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Edge.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Edge.EdgeServer.Tests.Filling;

/// <summary>Proactive fill, pins and purge against a real origin serving a title ffmpeg made.</summary>
public sealed class FillTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private OriginServer _origin = null!;
    private List<string> _files = null!;

    private string CacheDir => Path.Combine(_dir.Path, "cache");

    public async Task InitializeAsync()
    {
        var title = Path.Combine(_dir.Path, "title");
        await Ffmpeg.CreateSampleTitleAsync(title);
        _origin = await OriginServer.StartAsync();
        _origin.AddDirectory("/sample", title);
        _files = [.. Directory.EnumerateFiles(title, "*", SearchOption.AllDirectories).Select(f => "/sample/" + Path.GetRelativePath(title, f))];
    }

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Fill_Title_EveryObjectThenServedAsAHitWithNoOriginRequest()
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, CacheDir, nodeId: "edge-f");

        var job = await FillAsync(edge, "/sample/master.m3u8");

        Assert.Equal("done", job.GetProperty("state").GetString());
        Assert.Equal(_files.Count, job.GetProperty("objectsTotal").GetInt32());
        Assert.Equal(_files.Count, job.GetProperty("objectsDone").GetInt32());
        var before = _origin.TotalRequests;
        foreach (var file in _files)
        {
            using var response = await edge.Client.GetAsync(file);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("edge-f; hit", string.Join(", ", response.Headers.GetValues("Cache-Status")));
        }

        Assert.Equal(before, _origin.TotalRequests);
        Assert.Equal(["/sample/"], (await edge.Client.GetFromJsonAsync<string[]>("/admin/pins"))!);
        var metrics = await edge.Client.GetStringAsync("/metrics");
        Assert.Contains($"edge_fill_objects_total{{result=\"fetched\",node=\"edge-f\"}} {_files.Count}", metrics, StringComparison.Ordinal);
        Assert.Contains("edge_fill_jobs_total{state=\"done\",node=\"edge-f\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fill_InterruptedByRestart_ResumesWithoutFetchingPresentObjectsAgain()
    {
        var last = _files.Where(f => f.EndsWith(".m4s", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Last();
        var original = File.ReadAllBytes(Path.Combine(_dir.Path, "title", last["/sample/".Length..]));
        var held = new OriginObject { Body = original, HoldHeaders = true };
        _origin.Add(last, held);
        string id;
        List<string> fetchedBefore;
        await using (var edge = await EdgeHost.StartAsync(_origin.Url, CacheDir, null, "edge-f", "--Edge:Fill:Concurrency=1"))
        {
            var started = await edge.Client.PostAsJsonAsync("/admin/fills", new { manifest = "/sample/master.m3u8" });
            id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            await WaitUntilAsync(() => _origin.RequestCount(last) == 1);
            fetchedBefore = [.. _files.Where(f => f != last && _origin.RequestCount(f) == 1)];
        }

        // The node stopped with the fill part done; only the object that was in flight and those never reached are fetched.
        _origin.Add(last, new OriginObject { Body = original });
        held.Release.TrySetResult();
        await using (var edge = await EdgeHost.StartAsync(_origin.Url, CacheDir, nodeId: "edge-f"))
        {
            var job = await WaitForJobAsync(edge, id);
            Assert.Equal("done", job.GetProperty("state").GetString());
            Assert.Equal(fetchedBefore.Count, job.GetProperty("objectsPresent").GetInt32());
            Assert.Equal(_files.Count, job.GetProperty("objectsDone").GetInt32());
        }

        Assert.NotEmpty(fetchedBefore);
        Assert.All(_files.Where(f => f != last), f => Assert.Equal(1, _origin.RequestCount(f)));
        Assert.Equal(2, _origin.RequestCount(last));
    }

    [Fact]
    public async Task Fill_OutsideTheWindow_WaitsThenRunsWhenItOpens()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        time.SetLocalTimeZone(TimeZoneInfo.Utc);
        await using var edge = await EdgeHost.StartAsync(_origin.Url, CacheDir, time, nodeId: "edge-f", extra: "--Edge:Fill:Window=02:00-06:00");

        var started = await edge.Client.PostAsJsonAsync("/admin/fills", new { manifest = "/sample/master.m3u8" });
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await WaitUntilAsync(async () => (await JobAsync(edge, id)).GetProperty("state").GetString() == "waiting-for-window");
        Assert.Equal(0, _origin.TotalRequests);

        time.Advance(TimeSpan.FromHours(14));
        var job = await WaitForJobAsync(edge, id);

        Assert.Equal("done", job.GetProperty("state").GetString());
        Assert.Equal(_files.Count, _origin.TotalRequests);
    }

    [Fact]
    public async Task Fill_PinnedTitle_SurvivesPullThroughTrafficUntilUnpinned()
    {
        var titleBytes = _files.Sum(f => new FileInfo(Path.Combine(_dir.Path, "title", f["/sample/".Length..])).Length);
        var budget = (titleBytes * 2) + (100 * 4096);
        await using var edge = await EdgeHost.StartAsync(_origin.Url, CacheDir, budget, "edge-f", "--Edge:Admission:DoorkeeperWindow=00:00:00", "--Edge:EvictionPolicy=Lru");
        await FillAsync(edge, "/sample/master.m3u8");

        // Pull-through traffic of three times the budget.
        var other = new byte[(int)(budget / 20)];
        for (var i = 0; i < 60; i++)
        {
            _origin.Add($"/other/{i}.m4s", other);
            (await edge.Client.GetAsync($"/other/{i}.m4s")).Dispose();
        }

        var before = _origin.TotalRequests;
        foreach (var file in _files)
        {
            (await edge.Client.GetAsync(file)).Dispose();
        }

        Assert.Equal(before, _origin.TotalRequests);

        using var unpin = await edge.Client.DeleteAsync("/admin/pins?prefix=/sample/");
        Assert.Equal(HttpStatusCode.OK, unpin.StatusCode);
        for (var i = 60; i < 120; i++)
        {
            _origin.Add($"/other/{i}.m4s", other);
            (await edge.Client.GetAsync($"/other/{i}.m4s")).Dispose();
        }

        before = _origin.TotalRequests;
        foreach (var file in _files)
        {
            (await edge.Client.GetAsync(file)).Dispose();
        }

        Assert.True(_origin.TotalRequests > before, "unpinned objects are evictable again");
    }

    [Fact]
    public async Task Purge_ObjectAndPrefix_NextRequestsMiss()
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, CacheDir, nodeId: "edge-f");
        await FillAsync(edge, "/sample/master.m3u8");
        var segment = _files.First(f => f.EndsWith(".m4s", StringComparison.Ordinal));

        using var one = await edge.Client.DeleteAsync("/admin/cache?path=" + segment);
        Assert.Equal(1, (await one.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("objects").GetInt32());
        using var missed = await edge.Client.GetAsync(segment);
        Assert.StartsWith("edge-f; fwd=miss", string.Join(", ", missed.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);

        using var all = await edge.Client.DeleteAsync("/admin/cache?prefix=/sample/");
        Assert.Equal(_files.Count, (await all.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("objects").GetInt32());
        foreach (var file in _files)
        {
            using var response = await edge.Client.GetAsync(file);
            Assert.StartsWith("edge-f; fwd=miss", string.Join(", ", response.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);
        }

        using var bad = await edge.Client.DeleteAsync("/admin/cache");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Theory]
    [InlineData("{\"manifest\":\"/sample/seg.m4s\"}")]
    [InlineData("{\"manifest\":\"../etc/passwd.m3u8\"}")]
    [InlineData("{}")]
    [InlineData("not json")]
    public async Task Fill_BadRequest_400(string body)
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, CacheDir, nodeId: "edge-f");

        using var response = await edge.Client.PostAsync("/admin/fills", new StringContent(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Fill_LiveTitle_FollowsThePlaylistUntilTheEventEndsAndPinsNothing()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _origin.Add("/ev/master.m3u8", System.Text.Encoding.UTF8.GetBytes("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n360p/index.m3u8\n"), "application/vnd.apple.mpegurl");
        LivePlaylist(segments: 1, ended: false);
        foreach (var name in (string[])["init.mp4", "seg7.m4s", "part800.m4s", "seg8.m4s", "part900.m4s"])
        {
            _origin.Add("/ev/360p/" + name, [1, 2, 3], "video/iso.segment");
        }

        await using var edge = await EdgeHost.StartAsync(_origin.Url, CacheDir, time, nodeId: "edge-live");
        using var started = await edge.Client.PostAsJsonAsync("/admin/fills", new { manifest = "/ev/master.m3u8" });
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        // What is listed now is stored, and the job stays on the event.
        await WaitUntilAsync(async () => await JobAsync(edge, id) is var job && job.GetProperty("state").GetString() == "following" && job.GetProperty("objectsDone").GetInt32() == 5);
        Assert.True((await JobAsync(edge, id)).GetProperty("live").GetBoolean());
        Assert.Empty((await edge.Client.GetFromJsonAsync<string[]>("/admin/pins"))!);

        // The event goes on: once the stored playlist is stale the job reads it again and stores what it adds.
        LivePlaylist(segments: 2, ended: false);
        await WaitUntilAsync(async () =>
        {
            time.Advance(TimeSpan.FromMilliseconds(500));
            return (await JobAsync(edge, id)).GetProperty("objectsDone").GetInt32() == 7;
        });
        Assert.Equal(1, _origin.RequestCount("/ev/360p/seg8.m4s"));
        using (var segment = await edge.Client.GetAsync("/ev/360p/seg8.m4s"))
        {
            Assert.Equal("edge-live; hit", string.Join(", ", segment.Headers.GetValues("Cache-Status")));
        }

        Assert.Equal(1, _origin.RequestCount("/ev/360p/seg8.m4s"));

        // The event ends: the job is done, having read the playlist only as often as it went stale.
        LivePlaylist(segments: 2, ended: true);
        await WaitUntilAsync(async () =>
        {
            time.Advance(TimeSpan.FromMilliseconds(500));
            return (await JobAsync(edge, id)).GetProperty("state").GetString() == "done";
        });
        var done = await JobAsync(edge, id);
        Assert.Equal(7, done.GetProperty("objectsDone").GetInt32());
        Assert.True(done.GetProperty("reloads").GetInt32() >= 2);
        Assert.True(_origin.RequestCount("/ev/360p/index.m3u8") <= done.GetProperty("reloads").GetInt32() + 1);
        Assert.Empty((await edge.Client.GetFromJsonAsync<string[]>("/admin/pins"))!);
    }

    [Fact]
    public async Task Fill_LivePlaylistGone_FollowingStopsAndTheJobFails()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _origin.Add("/ev/master.m3u8", System.Text.Encoding.UTF8.GetBytes("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n360p/index.m3u8\n"), "application/vnd.apple.mpegurl");
        LivePlaylist(segments: 1, ended: false);
        foreach (var name in (string[])["init.mp4", "seg7.m4s", "part800.m4s"])
        {
            _origin.Add("/ev/360p/" + name, [1, 2, 3], "video/iso.segment");
        }

        await using var edge = await EdgeHost.StartAsync(_origin.Url, CacheDir, time, nodeId: "edge-live");
        using var started = await edge.Client.PostAsJsonAsync("/admin/fills", new { manifest = "/ev/master.m3u8" });
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await WaitUntilAsync(async () => (await JobAsync(edge, id)).GetProperty("state").GetString() == "following");

        _origin.Add("/ev/360p/index.m3u8", new OriginObject { Body = "gone\n"u8.ToArray(), StatusCode = 404, CacheControl = "no-store" });
        await WaitUntilAsync(async () =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return (await JobAsync(edge, id)).GetProperty("state").GetString() == "failed";
        });

        var job = await JobAsync(edge, id);
        Assert.Contains(job.GetProperty("errors").EnumerateArray(), e => e.GetString()!.Contains("/ev/360p/index.m3u8: stopped following", StringComparison.Ordinal));
    }

    // A live playlist from segment 7 (2 s each, parts of 0.5 s numbered 800, 900...), fresh for a second; each version
    // has its own Last-Modified, as an origin's file would.
    private void LivePlaylist(int segments, bool ended)
    {
        var text = new System.Text.StringBuilder("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PART-INF:PART-TARGET=0.5\n#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-MAP:URI=\"init.mp4\"\n");
        for (var i = 0; i < segments; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"#EXT-X-PART:DURATION=0.5,URI=\"part{8 + i}00.m4s\",INDEPENDENT=YES\n#EXTINF:2.0,\nseg{7 + i}.m4s\n");
        }

        _origin.Add("/ev/360p/index.m3u8", new OriginObject
        {
            Body = System.Text.Encoding.UTF8.GetBytes(text.Append(ended ? "#EXT-X-ENDLIST\n" : "").ToString()),
            ContentType = "application/vnd.apple.mpegurl",
            CacheControl = "public, max-age=1",
            LastModified = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddSeconds((segments * 2) + (ended ? 1 : 0)),
        });
    }

    private static async Task<JsonElement> FillAsync(EdgeHost edge, string manifest)
    {
        using var started = await edge.Client.PostAsJsonAsync("/admin/fills", new { manifest });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.Equal("/admin/fills/" + id, started.Headers.Location!.OriginalString);
        return await WaitForJobAsync(edge, id);
    }

    private static async Task<JsonElement> JobAsync(EdgeHost edge, string id) =>
        await edge.Client.GetFromJsonAsync<JsonElement>("/admin/fills/" + id);

    // The job runs on the node's own worker; poll its state, bounded.
    private static async Task<JsonElement> WaitForJobAsync(EdgeHost edge, string id)
    {
        for (var i = 0; i < 1000; i++)
        {
            var job = await JobAsync(edge, id);
            if (job.GetProperty("state").GetString() is "done" or "failed" or "cancelled")
            {
                return job;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException("fill job did not finish within 10 s");
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 1000; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException("condition not met within 10 s");
    }
}
