using System.Net;
using Edge.EdgeServer.Tests.Caching;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Serving;

/// <summary>Origins that drip-feed or fall short of what they announced: players never get a short or corrupt object.</summary>
public sealed class OriginFaultTests : IAsyncLifetime
{
    private readonly TempDirectory _cacheDir = new();
    private OriginServer _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, null, "edge-o", "--Edge:OriginIdleTimeout=00:00:00.300");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Fact]
    public async Task Get_OriginStopsSendingMidBody_CutAfterTheIdleTimeoutAndNothingCached()
    {
        var body = CacheTestSupport.RandomBody(500_000);
        var stalled = new OriginObject { Body = body, HoldAfter = 100_000 };
        _origin.Add("/t/drip.m4s", stalled);

        var received = new MemoryStream();
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await _edge.Client.GetAsync("/t/drip.m4s", HttpCompletionOption.ResponseHeadersRead);
            await using var stream = await response.Content.ReadAsStreamAsync();
            await stream.CopyToAsync(received);
        });
        stalled.Release.TrySetResult();

        Assert.Equal(body.AsSpan(0, (int)received.Length).ToArray(), received.ToArray());
        Assert.True(received.Length < body.Length);
        _origin.Add("/t/drip.m4s", body, "video/iso.segment");
        using var again = await _edge.Client.GetAsync("/t/drip.m4s");
        Assert.Equal(body, await again.Content.ReadAsByteArrayAsync());
        Assert.StartsWith("edge-o; fwd=miss", string.Join(", ", again.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);
        Assert.Equal(2, _origin.RequestCount("/t/drip.m4s"));
        Assert.Contains("edge_origin_fetch_results_total{result=\"truncated\",node=\"edge-o\"} 1", await _edge.Client.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_OriginDeclaresMoreThanItSends_NeverAShortBodyNorCached()
    {
        var body = CacheTestSupport.RandomBody(300_000);
        var shortened = new OriginObject { Body = body, HoldAfter = 250_000, AbortAfterHold = true };
        _origin.Add("/t/short.m4s", shortened);
        shortened.Release.TrySetResult();

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => _edge.Client.GetByteArrayAsync("/t/short.m4s"));

        _origin.Add("/t/short.m4s", body, "video/iso.segment");
        using var again = await _edge.Client.GetAsync("/t/short.m4s");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(body, await again.Content.ReadAsByteArrayAsync());
        Assert.Equal(2, _origin.RequestCount("/t/short.m4s"));
    }
}
