using System.Net;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Configuration;
using Edge.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Edge.EdgeServer.Tests.Caching;

/// <summary>Disk admission on the second request within a window, and what it protects.</summary>
public sealed class DoorkeeperTests : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Admit_FirstThenSecondRequest_DeclinedThenAdmitted()
    {
        var doorkeeper = Create(Window, out _);

        Assert.False(doorkeeper.Admit(CacheKey.Hash("/t/seg1.m4s"), "/t/seg1.m4s"));
        Assert.True(doorkeeper.Admit(CacheKey.Hash("/t/seg1.m4s"), "/t/seg1.m4s"));
        Assert.False(doorkeeper.Admit(CacheKey.Hash("/t/seg2.m4s"), "/t/seg2.m4s"));
    }

    [Fact]
    public void Admit_SecondRequestAcrossAGenerationRotation_Admitted()
    {
        var doorkeeper = Create(Window, out _);
        Assert.False(doorkeeper.Admit(CacheKey.Hash("/t/seg1.m4s"), "/t/seg1.m4s"));

        _time.Advance(Window * 0.75);

        Assert.True(doorkeeper.Admit(CacheKey.Hash("/t/seg1.m4s"), "/t/seg1.m4s"));
    }

    [Fact]
    public void Admit_SecondRequestBeyondTheWindow_DeclinedAgain()
    {
        var doorkeeper = Create(Window, out _);
        Assert.False(doorkeeper.Admit(CacheKey.Hash("/t/seg1.m4s"), "/t/seg1.m4s"));

        _time.Advance(Window * 1.1);

        Assert.False(doorkeeper.Admit(CacheKey.Hash("/t/seg1.m4s"), "/t/seg1.m4s"));
    }

    [Theory]
    [InlineData("/t/master.m3u8")]
    [InlineData("/t/manifest.mpd")]
    [InlineData("/t/v0/init.mp4")]
    [InlineData("/t/v0/video_init.m4s")]
    public void Admit_ManifestOrInitSegment_AlwaysAdmitted(string key)
    {
        var doorkeeper = Create(Window, out _);

        Assert.True(doorkeeper.Admit(CacheKey.Hash(key), key));
    }

    [Fact]
    public void Admit_PinnedTitle_AlwaysAdmitted()
    {
        var doorkeeper = Create(Window, out var cache);
        cache.Pin("/pinned/");

        Assert.True(doorkeeper.Admit(CacheKey.Hash("/pinned/v0/seg1.m4s"), "/pinned/v0/seg1.m4s"));
        Assert.False(doorkeeper.Admit(CacheKey.Hash("/other/v0/seg1.m4s"), "/other/v0/seg1.m4s"));
    }

    [Fact]
    public void Admit_ZeroWindow_AdmitsEverything()
    {
        var doorkeeper = Create(TimeSpan.Zero, out _);

        Assert.False(doorkeeper.Enabled);
        Assert.True(doorkeeper.Admit(CacheKey.Hash("/t/seg1.m4s"), "/t/seg1.m4s"));
    }

    [Fact]
    public async Task Get_ScanOfOneHitObjects_PopularTitleStaysCached()
    {
        var (popularMisses, declined) = await RunScanAsync("01:00:00");

        Assert.Equal(0, popularMisses);
        Assert.Equal(200, declined);
    }

    [Fact]
    public async Task Get_ScanWithoutDoorkeeper_EvictsThePopularTitle()
    {
        // The same traffic with admission off: the scan pushes the popular title out, which is what the doorkeeper prevents.
        var (popularMisses, declined) = await RunScanAsync("00:00:00");

        Assert.True(popularMisses > 0);
        Assert.Equal(0, declined);
    }

    [Fact]
    public async Task Get_SecondRequestJoinsTheFirstOnesFill_ObjectStoredByThatOneFetch()
    {
        await using var origin = await OriginServer.StartAsync();
        await using var edge = await EdgeHost.StartAsync(origin.Url, Path.Combine(_dir.Path, "join"), null, "edge-d", "--Edge:Admission:DoorkeeperWindow=01:00:00");
        var value = new OriginObject { Body = new byte[64 * 1024], HoldHeaders = true };
        origin.Add("/t/seg1.m4s", value);

        var first = GetAsync(edge, "/t/seg1.m4s");
        await value.Held.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var second = GetAsync(edge, "/t/seg1.m4s");
        var fill = edge.GetService<Edge.EdgeServer.Origin.FillCoordinator>().Running(CacheKey.Hash("/t/seg1.m4s"))!;
        for (var i = 0; i < 100_000 && !fill.Admit; i++)
        {
            await Task.Yield();
        }

        value.Release.SetResult();

        Assert.Equal("edge-d; fwd=miss; stored", await first);
        Assert.Equal("edge-d; fwd=miss; stored; collapsed", await second);
        Assert.Equal("edge-d; hit", await GetAsync(edge, "/t/seg1.m4s"));
        Assert.Equal(1, origin.RequestCount("/t/seg1.m4s"));
    }

    /// <summary>
    /// A popular title of 6 segments is watched, then 200 distinct one-hit objects stream through a cache that holds
    /// about 10; returns how many popular segments missed afterwards and how many scan objects were declined.
    /// </summary>
    private async Task<(int PopularMisses, int Declined)> RunScanAsync(string window)
    {
        await using var origin = await OriginServer.StartAsync();
        var budget = 10 * Edge.EdgeServer.Caching.ObjectFile.SizeOnDisk(64 * 1024);
        await using var edge = await EdgeHost.StartAsync(origin.Url, Path.Combine(_dir.Path, window.Replace(':', '-')), budget, "edge-d",
            $"--Edge:Admission:DoorkeeperWindow={window}", "--Edge:EvictionPolicy=Lru", "--Edge:MemoryCacheMaxBytes=0");
        var popular = Enumerable.Range(0, 6).Select(i => $"/popular/seg{i}.m4s").ToList();
        foreach (var path in popular)
        {
            origin.Add(path, new byte[64 * 1024], "video/iso.segment");
        }

        for (var viewer = 0; viewer < 3; viewer++)
        {
            foreach (var path in popular)
            {
                await GetAsync(edge, path);
            }
        }

        var declined = 0;
        for (var i = 0; i < 200; i++)
        {
            var path = $"/scan/obj{i}.m4s";
            origin.Add(path, new byte[64 * 1024], "video/iso.segment");
            if ((await GetAsync(edge, path)).Contains("detail=not-admitted", StringComparison.Ordinal))
            {
                declined++;
            }
        }

        var before = popular.Sum(origin.RequestCount);
        foreach (var path in popular)
        {
            await GetAsync(edge, path);
        }

        Assert.Contains($"edge_admission_declined_total{{node=\"edge-d\"}} {declined + (window == "00:00:00" ? 0 : popular.Count)}", await edge.Client.GetStringAsync("/metrics"), StringComparison.Ordinal);
        return (popular.Sum(origin.RequestCount) - before, declined);
    }

    private static async Task<string> GetAsync(EdgeHost edge, string path)
    {
        using var response = await edge.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(64 * 1024, (await response.Content.ReadAsByteArrayAsync()).Length);
        return string.Join(", ", response.Headers.GetValues("Cache-Status"));
    }

    private Doorkeeper Create(TimeSpan window, out DiskCache cache)
    {
        cache = CacheTestSupport.CreateCache(_dir.Path, 1 << 20);
        var options = Options.Create(new EdgeOptions { CacheDirectory = _dir.Path, OriginUrl = "http://127.0.0.1:1", Admission = { DoorkeeperWindow = window } });
        return new Doorkeeper(options, _time, cache);
    }
}
