using System.Net;
using System.Text;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Serving;

/// <summary>Methods the cache does not answer: refused by default; when forwarded, under the origin's slots and timeouts.</summary>
public sealed class UnsafeMethodTests : IAsyncLifetime
{
    private readonly TempDirectory _cacheDir = new();
    private OriginServer _origin = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _origin.Add("/t/list.m3u8", new OriginObject { Body = Encoding.UTF8.GetBytes("old") });
        _origin.Add("/t/other.m3u8", new OriginObject { Body = Encoding.UTF8.GetBytes("other") });
    }

    public async Task DisposeAsync()
    {
        _origin.HoldUnsafe?.TrySetResult();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    [InlineData("PURGE")]
    public async Task Send_UnsafeMethodByDefault_405AndOriginNeverAskedAndCacheKept(string method)
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, null, "edge-u");
        (await edge.Client.GetAsync("/t/list.m3u8")).Dispose();

        using var response = await edge.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/t/list.m3u8") { Content = new StringContent("x") });

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("GET", response.Content.Headers.Allow);
        Assert.Equal(["GET /t/list.m3u8"], _origin.Log);
        using var again = await edge.Client.GetAsync("/t/list.m3u8");
        Assert.Equal("edge-u; hit", string.Join(", ", again.Headers.GetValues("Cache-Status")));
    }

    [Fact]
    public async Task Post_Forwarding_ForwardedUncachedAndInvalidatesTheTargetAndCounts()
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, null, "edge-u", "--Edge:ForwardUnsafeMethods=true");
        (await edge.Client.GetAsync("/t/list.m3u8")).Dispose();

        using var post = await edge.Client.PostAsync("/t/list.m3u8", new StringContent("hello"));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal("POST /t/list.m3u8 hello", await post.Content.ReadAsStringAsync());
        Assert.Equal("edge-u; fwd=method", string.Join(", ", post.Headers.GetValues("Cache-Status")));

        using var after = await edge.Client.GetAsync("/t/list.m3u8");
        Assert.Equal("edge-u; fwd=miss; stored", string.Join(", ", after.Headers.GetValues("Cache-Status")));
        Assert.Equal(["GET /t/list.m3u8", "POST /t/list.m3u8", "GET /t/list.m3u8"], _origin.Log);
        Assert.Contains("edge_invalidations_total{node=\"edge-u\"} 1", await edge.Client.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/t/other.m3u8", true)]
    [InlineData("ORIGIN/t/other.m3u8", true)]
    [InlineData("http://elsewhere.example/t/other.m3u8", false)]
    public async Task Post_ContentLocation_InvalidatedOnlyWhenSameOrigin(string location, bool invalidated)
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, null, "edge-u", "--Edge:ForwardUnsafeMethods=true");
        (await edge.Client.GetAsync("/t/other.m3u8")).Dispose();
        _origin.UnsafeContentLocation = location.Replace("ORIGIN", _origin.Url.TrimEnd('/'), StringComparison.Ordinal);

        (await edge.Client.PostAsync("/t/list.m3u8", new StringContent("x"))).Dispose();

        using var after = await edge.Client.GetAsync("/t/other.m3u8");
        Assert.Equal(invalidated ? "edge-u; fwd=miss; stored" : "edge-u; hit", string.Join(", ", after.Headers.GetValues("Cache-Status")));
    }

    [Fact]
    public async Task Post_ManyAtOnceToDistinctUrls_AtMostTheFillSlotsReachTheOrigin()
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, null, "edge-u", "--Edge:ForwardUnsafeMethods=true", "--Edge:OriginMaxConcurrentFills=3");
        _origin.HoldUnsafe = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var posts = Enumerable.Range(0, 30).Select(i => edge.Client.PostAsync($"/t/p{i}.m3u8", new StringContent("x"))).ToArray();

        await Poll.UntilAsync(() => Task.FromResult(_origin.TotalRequests == 3), "three POSTs to reach the origin", TimeSpan.FromSeconds(10));
        Assert.Equal(3, _origin.MaxConcurrent);
        _origin.HoldUnsafe.SetResult();
        var answers = await Task.WhenAll(posts);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(30, _origin.TotalRequests);
        Assert.True(_origin.MaxConcurrent <= 3, $"{_origin.MaxConcurrent} at once");
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

    [Fact]
    public async Task Post_OriginSilentPastTheResponseTimeout_504NamingNoAddress()
    {
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, null, "edge-u", "--Edge:ForwardUnsafeMethods=true", "--Edge:OriginResponseTimeout=00:00:00.300");
        _origin.HoldUnsafe = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        using var post = await edge.Client.PostAsync("/t/list.m3u8", new StringContent("x"));

        Assert.Equal(HttpStatusCode.GatewayTimeout, post.StatusCode);
        Assert.DoesNotContain("127.0.0.1", await post.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
