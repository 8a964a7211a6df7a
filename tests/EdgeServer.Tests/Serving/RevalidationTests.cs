using System.Net;
using System.Text;
using Edge.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Edge.EdgeServer.Tests.Serving;

/// <summary>RFC 9111 freshness, revalidation and serving stale, on a node whose clock the test moves.</summary>
public sealed class RevalidationTests : IAsyncLifetime
{
    private readonly TempDirectory _cacheDir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private OriginServer _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, _time, nodeId: "edge-r");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Fact]
    public async Task Get_StaleWithValidators_RevalidatedBy304WithoutRefetchingTheBody()
    {
        _origin.Add("/live/index.m3u8", new OriginObject { Body = Encoding.UTF8.GetBytes("#EXTM3U\n"), ETag = "\"m1\"", CacheControl = "max-age=2" });
        await GetAsync("/live/index.m3u8");

        _time.Advance(TimeSpan.FromSeconds(1));
        using var fresh = await GetAsync("/live/index.m3u8");
        Assert.Equal("edge-r; hit", Status(fresh));
        Assert.Equal(1, _origin.RequestCount("/live/index.m3u8"));

        _time.Advance(TimeSpan.FromSeconds(2));
        using var revalidated = await GetAsync("/live/index.m3u8");
        Assert.Equal("edge-r; fwd=stale; fwd-status=304", Status(revalidated));
        Assert.Equal("#EXTM3U\n", await revalidated.Content.ReadAsStringAsync());
        Assert.Equal(1, _origin.NotModifiedCount("/live/index.m3u8"));

        // Fresh again for max-age from the 304.
        _time.Advance(TimeSpan.FromSeconds(1));
        using var hit = await GetAsync("/live/index.m3u8");
        Assert.Equal("edge-r; hit", Status(hit));
        Assert.Equal(2, _origin.RequestCount("/live/index.m3u8"));
        Assert.Contains("edge_revalidations_total{result=\"not_modified\",node=\"edge-r\"} 1", await _edge.Client.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task Get_StaleAndChangedAtOrigin_NewBodyReplacesTheOld()
    {
        _origin.Add("/live/changing.m3u8", new OriginObject { Body = Encoding.UTF8.GetBytes("v1"), ETag = "\"v1\"", CacheControl = "max-age=2" });
        await GetAsync("/live/changing.m3u8");
        _origin.Add("/live/changing.m3u8", new OriginObject { Body = Encoding.UTF8.GetBytes("v2"), ETag = "\"v2\"", CacheControl = "max-age=2" });

        _time.Advance(TimeSpan.FromSeconds(3));
        using var changed = await GetAsync("/live/changing.m3u8");
        using var hit = await GetAsync("/live/changing.m3u8");

        Assert.Equal("v2", await changed.Content.ReadAsStringAsync());
        Assert.Equal("edge-r; fwd=stale; stored", Status(changed));
        Assert.Equal("v2", await hit.Content.ReadAsStringAsync());
        Assert.Equal("edge-r; hit", Status(hit));
    }

    [Fact]
    public async Task Get_OriginFailing_StaleServedWithinStaleIfErrorAndTheOriginsAnswerBeyond()
    {
        _origin.Add("/vod/seg.m4s", new OriginObject { Body = new byte[5000], ETag = "\"s\"", CacheControl = "max-age=10, stale-if-error=60" });
        await GetAsync("/vod/seg.m4s");
        _origin.FailWith = 503;

        _time.Advance(TimeSpan.FromSeconds(30));
        using var stale = await GetAsync("/vod/seg.m4s");
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal(5000, (await stale.Content.ReadAsByteArrayAsync()).Length);
        Assert.Equal("edge-r; fwd=stale; detail=stale-if-error", Status(stale));
        Assert.Equal("30", stale.Headers.GetValues("Age").Single());

        _time.Advance(TimeSpan.FromSeconds(60));
        using var tooStale = await GetAsync("/vod/seg.m4s");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, tooStale.StatusCode);

        var metrics = await _edge.Client.GetStringAsync("/metrics");
        Assert.Contains("edge_stale_served_total{reason=\"stale_if_error\",node=\"edge-r\"} 1", metrics);

        // The origin comes back: the copy revalidates and is served again.
        _origin.FailWith = null;
        using var back = await GetAsync("/vod/seg.m4s");
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Equal("edge-r; fwd=stale; fwd-status=304", Status(back));
    }

    [Fact]
    public async Task Get_MustRevalidate_NeverServedStaleEvenWithStaleIfError()
    {
        _origin.Add("/vod/strict.m4s", new OriginObject { Body = new byte[10], CacheControl = "max-age=10, must-revalidate, stale-if-error=600" });
        await GetAsync("/vod/strict.m4s");
        _origin.FailWith = 500;
        _time.Advance(TimeSpan.FromSeconds(11));

        using var response = await GetAsync("/vod/strict.m4s");

        // The origin's own answer, never the stale copy.
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.NotEqual(10, (await response.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task Get_StaleWhileRevalidate_ServedAtOnceAndRefreshedInTheBackground()
    {
        _origin.Add("/live/swr.m3u8", new OriginObject { Body = Encoding.UTF8.GetBytes("v1"), ETag = "\"a\"", CacheControl = "max-age=2, stale-while-revalidate=30" });
        await GetAsync("/live/swr.m3u8");
        var slow = new OriginObject { Body = Encoding.UTF8.GetBytes("v2"), ETag = "\"b\"", CacheControl = "max-age=2, stale-while-revalidate=30", HoldHeaders = true };
        _origin.Add("/live/swr.m3u8", slow);
        _time.Advance(TimeSpan.FromSeconds(5));

        // The origin is holding the revalidation; the player is not kept waiting for it.
        using var stale = await GetAsync("/live/swr.m3u8");
        Assert.Equal("v1", await stale.Content.ReadAsStringAsync());
        Assert.Equal("edge-r; hit; detail=stale-while-revalidate", Status(stale));

        slow.Release.TrySetResult();
        await WaitForAsync(async () => (await (await GetAsync("/live/swr.m3u8")).Content.ReadAsStringAsync()) == "v2");
        Assert.Equal(2, _origin.RequestCount("/live/swr.m3u8"));
    }

    [Fact]
    public async Task Get_AgeFromOrigin_CountsAgainstFreshness()
    {
        _origin.Add("/t/aged.m4s", new OriginObject { Body = new byte[10], CacheControl = "max-age=60", Age = 55, AnswersConditionals = false });
        await GetAsync("/t/aged.m4s");

        _time.Advance(TimeSpan.FromSeconds(3));
        using var hit = await GetAsync("/t/aged.m4s");
        Assert.Equal("58", hit.Headers.GetValues("Age").Single());

        _time.Advance(TimeSpan.FromSeconds(3));
        using var refetched = await GetAsync("/t/aged.m4s");
        Assert.Equal("edge-r; fwd=stale; stored", Status(refetched));
    }

    private Task<HttpResponseMessage> GetAsync(string path) => _edge.Client.GetAsync(path);

    private static string Status(HttpResponseMessage response) => string.Join(", ", response.Headers.GetValues("Cache-Status"));

    // The background revalidation finishes on its own; poll the node's answer, bounded.
    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(10);
        }

        Assert.Fail("condition not met within 2 s");
    }
}
