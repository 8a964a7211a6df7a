using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Edge.EdgeServer.Caching;
using Edge.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Edge.EdgeServer.Tests.Caching;

/// <summary>The memory tier in front of the disk: what enters, that a memory hit needs no disk, and that it never goes stale.</summary>
public sealed class MemoryTierTests : IAsyncLifetime
{
    private readonly TempDirectory _cacheDir = new();
    private OriginServer _origin = null!;

    public async Task InitializeAsync() => _origin = await OriginServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Fact]
    public async Task Get_ManifestSecondHit_ServedFromMemoryWithItsFileGoneFromDisk()
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, nodeId: "edge-m");
        var body = Encoding.UTF8.GetBytes("#EXTM3U\n#EXT-X-VERSION:7\n" + new string('#', 3000) + "\n");
        _origin.Add("/t/v0/index.m3u8", body, "application/vnd.apple.mpegurl");

        Assert.Equal("edge-m; fwd=miss; stored", await StatusOfAsync(edge, "/t/v0/index.m3u8"));
        Assert.Equal("edge-m; hit", await StatusOfAsync(edge, "/t/v0/index.m3u8"));

        // With the file gone, only the memory copy can answer.
        File.Delete(CacheTestSupport.ObjectFileOf(_cacheDir.Path, "/t/v0/index.m3u8"));
        using var response = await edge.Client.GetAsync("/t/v0/index.m3u8");
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("edge-m; hit; detail=memory", Status(response));
        Assert.Equal("application/vnd.apple.mpegurl", response.Content.Headers.ContentType!.MediaType);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/t/v0/index.m3u8");
        request.Headers.Range = new RangeHeaderValue(7, 16);
        using var partial = await edge.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(body.AsSpan(7, 10).ToArray(), await partial.Content.ReadAsByteArrayAsync());
        Assert.Equal($"bytes 7-16/{body.Length}", partial.Content.Headers.ContentRange!.ToString());

        Assert.Equal(1, _origin.RequestCount("/t/v0/index.m3u8"));
        var metrics = await edge.Client.GetStringAsync("/metrics");
        Assert.Contains("edge_memory_hits_total{node=\"edge-m\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("edge_memory_objects{node=\"edge-m\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_SegmentSecondDiskHit_PromotedAndThenServedFromMemory()
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, nodeId: "edge-m");
        _origin.Add("/t/v0/seg1.m4s", CacheTestSupport.RandomBody(100_000), "video/iso.segment");

        Assert.Equal("edge-m; fwd=miss; stored", await StatusOfAsync(edge, "/t/v0/seg1.m4s"));
        Assert.Equal("edge-m; hit", await StatusOfAsync(edge, "/t/v0/seg1.m4s"));
        Assert.Equal("edge-m; hit", await StatusOfAsync(edge, "/t/v0/seg1.m4s"));
        Assert.Equal("edge-m; hit; detail=memory", await StatusOfAsync(edge, "/t/v0/seg1.m4s"));
    }

    [Fact]
    public async Task Get_ObjectAboveMaxObjectBytes_NeverHeldInMemory()
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, nodeId: "edge-m", extra: "--Edge:MemoryCacheMaxObjectBytes=65536");
        _origin.Add("/t/v0/init.mp4", CacheTestSupport.RandomBody(70_000), "video/mp4");

        await StatusOfAsync(edge, "/t/v0/init.mp4");
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("edge-m; hit", await StatusOfAsync(edge, "/t/v0/init.mp4"));
        }
    }

    [Fact]
    public async Task Get_ManyManifestsOverBudget_MemoryStaysWithinBudget()
    {
        const long budget = 300_000;
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, nodeId: "edge-m", extra: $"--Edge:MemoryCacheMaxBytes={budget}");
        for (var i = 0; i < 10; i++)
        {
            _origin.Add($"/t/v{i}/index.m3u8", CacheTestSupport.RandomBody(60_000), "application/vnd.apple.mpegurl");
            await StatusOfAsync(edge, $"/t/v{i}/index.m3u8");
            await StatusOfAsync(edge, $"/t/v{i}/index.m3u8");
        }

        var memory = edge.GetService<MemoryTier>();
        Assert.InRange(memory.Bytes, 60_000, budget);
        Assert.InRange(memory.Count, 1, 4);
    }

    [Fact]
    public async Task Purge_ObjectHeldInMemory_NextRequestMisses()
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, nodeId: "edge-m");
        _origin.Add("/t/master.m3u8", Encoding.UTF8.GetBytes("#EXTM3U\n"), "application/vnd.apple.mpegurl");
        await StatusOfAsync(edge, "/t/master.m3u8");
        await StatusOfAsync(edge, "/t/master.m3u8");
        Assert.Equal("edge-m; hit; detail=memory", await StatusOfAsync(edge, "/t/master.m3u8"));

        using var purge = await edge.Client.DeleteAsync("/admin/cache?path=/t/master.m3u8");
        Assert.Equal(HttpStatusCode.OK, purge.StatusCode);

        Assert.Equal("edge-m; fwd=miss; stored", await StatusOfAsync(edge, "/t/master.m3u8"));
        Assert.Equal(2, _origin.RequestCount("/t/master.m3u8"));
    }

    [Fact]
    public async Task Get_LiveManifestHeldInMemoryExpires_RevalidatedAndNewBodyServed()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, time, nodeId: "edge-m");
        _origin.Add("/live/index.m3u8", new OriginObject { Body = Encoding.UTF8.GetBytes("#EXTM3U\n#1\n"), ContentType = "application/vnd.apple.mpegurl", CacheControl = "max-age=2", ETag = "\"1\"" });
        await StatusOfAsync(edge, "/live/index.m3u8");
        await StatusOfAsync(edge, "/live/index.m3u8");
        Assert.Equal("edge-m; hit; detail=memory", await StatusOfAsync(edge, "/live/index.m3u8"));

        _origin.Add("/live/index.m3u8", new OriginObject { Body = Encoding.UTF8.GetBytes("#EXTM3U\n#2\n"), ContentType = "application/vnd.apple.mpegurl", CacheControl = "max-age=2", ETag = "\"2\"" });
        time.Advance(TimeSpan.FromSeconds(3));

        using var response = await edge.Client.GetAsync("/live/index.m3u8");
        Assert.Equal("#EXTM3U\n#2\n", await response.Content.ReadAsStringAsync());
        Assert.Equal("edge-m; fwd=stale; stored", Status(response));

        // The old copy left memory with the change on disk; what comes back in is the new one.
        await StatusOfAsync(edge, "/live/index.m3u8");
        using var memoryHit = await edge.Client.GetAsync("/live/index.m3u8");
        Assert.Equal("edge-m; hit; detail=memory", Status(memoryHit));
        Assert.Equal("#EXTM3U\n#2\n", await memoryHit.Content.ReadAsStringAsync());
    }

    private static async Task<string> StatusOfAsync(EdgeHost edge, string path)
    {
        using var response = await edge.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsByteArrayAsync();
        return Status(response);
    }

    private static string Status(HttpResponseMessage response) => string.Join(", ", response.Headers.GetValues("Cache-Status"));
}
