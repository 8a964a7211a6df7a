using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Edge.EdgeServer.Tests.Caching;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Serving;

/// <summary>A real origin and a real edge on loopback, talking HTTP over sockets.</summary>
public sealed class EdgeServingTests : IAsyncLifetime
{
    private readonly TempDirectory _cacheDir = new();
    private OriginServer _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, nodeId: "edge-a");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Theory]
    [InlineData("/t/master.m3u8", "application/vnd.apple.mpegurl")]
    [InlineData("/t/manifest.mpd", "application/dash+xml")]
    [InlineData("/t/v0/seg_001.m4s", "video/iso.segment")]
    [InlineData("/t/v0/init.mp4", "video/mp4")]
    [InlineData("/t/seg.ts", "video/mp2t")]
    [InlineData("/t/audio.aac", "audio/aac")]
    [InlineData("/t/subs.vtt", "text/vtt")]
    public async Task Get_MissThenHit_SendsEveryHeaderAndCacheStatus(string path, string contentType)
    {
        var body = CacheTestSupport.RandomBody(3000);
        _origin.Add(path, new OriginObject { Body = body, ETag = "\"v1\"", CacheControl = "public, max-age=600" });

        using var miss = await _edge.Client.GetAsync(path);
        using var hit = await _edge.Client.GetAsync(path);

        foreach (var response in new[] { miss, hit })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(contentType, response.Content.Headers.ContentType!.MediaType);
            Assert.Equal(3000, response.Content.Headers.ContentLength);
            Assert.Equal("\"v1\"", response.Headers.ETag!.Tag);
            Assert.False(response.Headers.ETag.IsWeak);
            Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), response.Content.Headers.LastModified);
            Assert.Equal("bytes", Assert.Single(response.Headers.AcceptRanges));
            Assert.Equal("public, max-age=600", response.Headers.CacheControl!.ToString());
            Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }

        Assert.Equal("edge-a; fwd=miss; stored", CacheStatus(miss));
        Assert.Equal("edge-a; hit", CacheStatus(hit));
        Assert.Equal(1, _origin.RequestCount(path));
    }

    [Fact]
    public async Task Get_OriginWeakETag_KeptAndMatchedByIfNoneMatch()
    {
        _origin.Add("/t/a.m4s", new OriginObject { Body = CacheTestSupport.RandomBody(100), ETag = "W/\"weak\"" });

        using var miss = await _edge.Client.GetAsync("/t/a.m4s");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/t/a.m4s");
        request.Headers.TryAddWithoutValidation("If-None-Match", "\"weak\"");
        using var conditional = await _edge.Client.SendAsync(request);

        Assert.Equal("W/\"weak\"", miss.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.NotModified, conditional.StatusCode);
        Assert.Equal("W/\"weak\"", conditional.Headers.ETag!.ToString());
    }

    [Fact]
    public async Task Head_CachedObject_SendsHeadersWithoutBody()
    {
        _origin.Add("/t/a.m4s", CacheTestSupport.RandomBody(5000));
        (await _edge.Client.GetAsync("/t/a.m4s")).Dispose();

        using var request = new HttpRequestMessage(HttpMethod.Head, "/t/a.m4s");
        using var response = await _edge.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(5000, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("edge-a; hit", CacheStatus(response));
    }

    [Theory]
    [InlineData("bytes=0-99", 0, 99)]
    [InlineData("bytes=100-", 100, 9999)]
    [InlineData("bytes=-10", 9990, 9999)]
    [InlineData("bytes=9000-20000", 9000, 9999)]
    public async Task Get_SingleRange_Returns206WithContentRange(string range, int first, int last)
    {
        var body = CacheTestSupport.RandomBody(10_000);
        _origin.Add("/t/r.m4s", body);

        foreach (var expectedStatus in new[] { "fwd=miss", "hit" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/t/r.m4s");
            request.Headers.TryAddWithoutValidation("Range", range);
            using var response = await _edge.Client.SendAsync(request);

            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal($"bytes {first}-{last}/10000", response.Content.Headers.ContentRange!.ToString());
            Assert.Equal(body[first..(last + 1)], await response.Content.ReadAsByteArrayAsync());
            Assert.Contains(expectedStatus, CacheStatus(response));

            // A range can be answered before its fill has the rest of the object: the next request is a hit once it is stored.
            await Poll.UntilAsync(() => Task.FromResult(_edge.GetService<EdgeServer.Caching.DiskCache>().Contains(EdgeServer.Caching.CacheKey.Hash("/t/r.m4s"))), "the object stored", TimeSpan.FromSeconds(30));
        }
    }

    [Theory]
    [InlineData("bytes=10000-")]
    [InlineData("bytes=20000-30000")]
    [InlineData("bytes=-0")]
    public async Task Get_UnsatisfiableRange_Returns416WithLength(string range)
    {
        _origin.Add("/t/r.m4s", CacheTestSupport.RandomBody(10_000));
        (await _edge.Client.GetAsync("/t/r.m4s")).Dispose();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/t/r.m4s");
        request.Headers.TryAddWithoutValidation("Range", range);
        using var response = await _edge.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal("bytes */10000", response.Content.Headers.ContentRange!.ToString());
    }

    [Theory]
    [InlineData("bytes=0-1,5-9")]
    [InlineData("bytes=5-3")]
    [InlineData("items=0-1")]
    public async Task Get_MultipleOrInvalidRanges_ReturnsWholeObject(string range)
    {
        var body = CacheTestSupport.RandomBody(10_000);
        _origin.Add("/t/r.m4s", body);
        (await _edge.Client.GetAsync("/t/r.m4s")).Dispose();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/t/r.m4s");
        request.Headers.TryAddWithoutValidation("Range", range);
        using var response = await _edge.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_Conditional_Returns304OrHonoursIfRange()
    {
        var body = CacheTestSupport.RandomBody(1000);
        _origin.Add("/t/c.m4s", new OriginObject { Body = body, ETag = "\"v7\"" });
        (await _edge.Client.GetAsync("/t/c.m4s")).Dispose();

        using var inm = new HttpRequestMessage(HttpMethod.Get, "/t/c.m4s");
        inm.Headers.TryAddWithoutValidation("If-None-Match", "\"v7\"");
        using var inmResponse = await _edge.Client.SendAsync(inm);
        Assert.Equal(HttpStatusCode.NotModified, inmResponse.StatusCode);
        Assert.Equal("\"v7\"", inmResponse.Headers.ETag!.Tag);
        Assert.Empty(await inmResponse.Content.ReadAsByteArrayAsync());

        using var ims = new HttpRequestMessage(HttpMethod.Get, "/t/c.m4s");
        ims.Headers.TryAddWithoutValidation("If-Modified-Since", "Fri, 02 Jan 2026 03:04:05 GMT");
        using var imsResponse = await _edge.Client.SendAsync(ims);
        Assert.Equal(HttpStatusCode.NotModified, imsResponse.StatusCode);

        using var stale = new HttpRequestMessage(HttpMethod.Get, "/t/c.m4s");
        stale.Headers.TryAddWithoutValidation("If-None-Match", "\"v6\"");
        using var staleResponse = await _edge.Client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, staleResponse.StatusCode);

        using var ifRangeMatch = new HttpRequestMessage(HttpMethod.Get, "/t/c.m4s");
        ifRangeMatch.Headers.TryAddWithoutValidation("Range", "bytes=0-9");
        ifRangeMatch.Headers.TryAddWithoutValidation("If-Range", "\"v7\"");
        using var ifRangeMatchResponse = await _edge.Client.SendAsync(ifRangeMatch);
        Assert.Equal(HttpStatusCode.PartialContent, ifRangeMatchResponse.StatusCode);

        using var ifRangeMiss = new HttpRequestMessage(HttpMethod.Get, "/t/c.m4s");
        ifRangeMiss.Headers.TryAddWithoutValidation("Range", "bytes=0-9");
        ifRangeMiss.Headers.TryAddWithoutValidation("If-Range", "\"v6\"");
        using var ifRangeMissResponse = await _edge.Client.SendAsync(ifRangeMiss);
        Assert.Equal(HttpStatusCode.OK, ifRangeMissResponse.StatusCode);
        Assert.Equal(body, await ifRangeMissResponse.Content.ReadAsByteArrayAsync());

        using var ifMatch = new HttpRequestMessage(HttpMethod.Get, "/t/c.m4s");
        ifMatch.Headers.TryAddWithoutValidation("If-Match", "\"v6\"");
        using var ifMatchResponse = await _edge.Client.SendAsync(ifMatch);
        Assert.Equal(HttpStatusCode.PreconditionFailed, ifMatchResponse.StatusCode);
    }

    [Fact]
    public async Task Send_Trace_Returns405WithAllow()
    {
        using var request = new HttpRequestMessage(HttpMethod.Trace, "/t/a.m4s");
        using var response = await _edge.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(["GET", "HEAD", "OPTIONS"], response.Content.Headers.Allow.Order());
        Assert.Equal(0, _origin.TotalRequests);
    }

    [Fact]
    public async Task Options_CorsPreflightForRange_IsAllowed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/t/a.m4s");
        request.Headers.TryAddWithoutValidation("Origin", "https://player.example");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "GET");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "range");
        using var response = await _edge.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("Range", response.Headers.GetValues("Access-Control-Allow-Headers").Single());
        Assert.Contains("GET", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
    }

    [Fact]
    public async Task Get_FiftyConcurrentColdRequests_MakeOneOriginFetchAndIdenticalBodies()
    {
        var body = CacheTestSupport.RandomBody(2_000_000);
        var value = new OriginObject { Body = body, HoldHeaders = true };
        _origin.Add("/t/cold.m4s", value);

        var requests = Enumerable.Range(0, 50).Select(_ => _edge.Client.GetByteArrayAsync("/t/cold.m4s")).ToArray();

        // Headers are held until every request can have arrived; collapsing must not depend on that.
        while (_origin.RequestCount("/t/cold.m4s") == 0)
        {
            await Task.Yield();
        }

        value.Release.SetResult();
        var bodies = await Task.WhenAll(requests);

        Assert.Equal(1, _origin.RequestCount("/t/cold.m4s"));
        Assert.All(bodies, b => Assert.Equal(body, b));
        var metrics = await _edge.Client.GetStringAsync("/metrics");
        Assert.Contains("edge_origin_fetches_total{node=\"edge-a\"} 1", metrics);
    }

    [Fact]
    public async Task Get_Miss_ClientReadsBytesBeforeFillCompletes()
    {
        var body = CacheTestSupport.RandomBody(1_000_000);
        var value = new OriginObject { Body = body, HoldAfter = 300_000 };
        _origin.Add("/t/slow.m4s", value);

        using var response = await _edge.Client.GetAsync("/t/slow.m4s", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(1_000_000, response.Content.Headers.ContentLength);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var first = new byte[300_000];
        await stream.ReadExactlyAsync(first);

        // The origin is still holding back the rest, so these bytes came from the fill in progress.
        Assert.False(value.Release.Task.IsCompleted);
        Assert.Equal(body[..300_000], first);
        using var collapsed = await _edge.Client.GetAsync("/t/slow.m4s", HttpCompletionOption.ResponseHeadersRead);
        Assert.Contains("collapsed", CacheStatus(collapsed));

        value.Release.SetResult();
        var rest = new byte[700_000];
        await stream.ReadExactlyAsync(rest);
        Assert.Equal(body[300_000..], rest);
        Assert.Equal(body, await collapsed.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_OriginDiesMidBody_ClientSeesErrorAndNothingIsCached()
    {
        var value = new OriginObject { Body = CacheTestSupport.RandomBody(1_000_000), HoldAfter = 200_000, AbortAfterHold = true };
        _origin.Add("/t/broken.m4s", value);

        var read = _edge.Client.GetByteArrayAsync("/t/broken.m4s");
        await value.Held.Task;
        value.Release.SetResult();

        // Never a short 200: the client's read fails.
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => read);

        _origin.Add("/t/broken.m4s", new OriginObject { Body = CacheTestSupport.RandomBody(1_000_000) });
        using var again = await _edge.Client.GetAsync("/t/broken.m4s");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.StartsWith("edge-a; fwd=miss", CacheStatus(again));
        Assert.Equal(2, _origin.RequestCount("/t/broken.m4s"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_cacheDir.Path, "tmp")));
    }

    [Fact]
    public async Task Get_OriginNotFound_PassesThrough404AndStoresItForTheNegativeTtl()
    {
        using var response = await _edge.Client.GetAsync("/t/missing.m4s");
        using var again = await _edge.Client.GetAsync("/t/missing.m4s");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("no such object\n", await response.Content.ReadAsStringAsync());
        Assert.Equal("edge-a; fwd=miss; stored", CacheStatus(response));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("no such object\n", await again.Content.ReadAsStringAsync());
        Assert.Equal("edge-a; hit", CacheStatus(again));
        Assert.Equal(1, _origin.RequestCount("/t/missing.m4s"));
    }

    [Fact]
    public async Task Get_OriginServerError_PassedThroughAndCachesNothing()
    {
        _origin.Add("/t/e.m4s", new OriginObject { Body = Encoding.UTF8.GetBytes("boom"), StatusCode = 500 });

        using var response = await _edge.Client.GetAsync("/t/e.m4s");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("boom", await response.Content.ReadAsStringAsync());
        Assert.Equal("edge-a; fwd=miss", CacheStatus(response));
        (await _edge.Client.GetAsync("/t/e.m4s")).Dispose();
        Assert.Equal(2, _origin.RequestCount("/t/e.m4s"));
    }

    [Fact]
    public async Task Get_OriginUnreachable_Returns502()
    {
        var port = FreePort();
        await using var edge = await EdgeHost.StartAsync($"http://127.0.0.1:{port}", _cacheDir.Path + "-b", nodeId: "edge-b");

        using var response = await edge.Client.GetAsync("/t/a.m4s");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("origin unreachable", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_OriginTooSlowToAnswer_Returns504()
    {
        var value = new OriginObject { Body = CacheTestSupport.RandomBody(10), HoldHeaders = true };
        _origin.Add("/t/slow.m4s", value);
        await using var edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path + "-c", nodeId: "edge-c", extra: "--Edge:OriginResponseTimeout=00:00:00.200");

        using var response = await edge.Client.GetAsync("/t/slow.m4s");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("did not answer", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_NoStoreResponse_IsServedButNotCached()
    {
        _origin.Add("/t/p.m3u8", new OriginObject { Body = CacheTestSupport.RandomBody(10), CacheControl = "no-store" });

        (await _edge.Client.GetAsync("/t/p.m3u8")).Dispose();
        using var second = await _edge.Client.GetAsync("/t/p.m3u8");

        Assert.Equal("edge-a; fwd=miss", CacheStatus(second));
        Assert.Equal(2, _origin.RequestCount("/t/p.m3u8"));
    }

    [Fact]
    public async Task Get_ChunkedOriginBody_IsStreamedAndCached()
    {
        var body = CacheTestSupport.RandomBody(300_000);
        _origin.Add("/t/chunked.m4s", new OriginObject { Body = body, Chunked = true });

        Assert.Equal(body, await _edge.Client.GetByteArrayAsync("/t/chunked.m4s"));
        using var hit = await _edge.Client.GetAsync("/t/chunked.m4s");

        Assert.Equal("edge-a; hit", CacheStatus(hit));
        Assert.Equal(300_000, hit.Content.Headers.ContentLength);
        Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_ObjectsBeyondBudget_KeepDiskUnderBudget()
    {
        const long budget = 10 * (4096 + 100_000L + 16);
        var dir = _cacheDir.Path + "-d";
        await using var edge = await EdgeHost.StartAsync(_origin.Url, dir, cacheMaxBytes: budget, nodeId: "edge-d");
        for (var i = 0; i < 40; i++)
        {
            _origin.Add($"/t/e{i}.m4s", CacheTestSupport.RandomBody(100_000));
            Assert.Equal(100_000, (await edge.Client.GetByteArrayAsync($"/t/e{i}.m4s")).Length);
            Assert.True(Directory.EnumerateFiles(Path.Combine(dir, "objects"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) <= budget);
        }

        var metrics = await edge.Client.GetStringAsync("/metrics");
        Assert.Contains("edge_cache_evictions_total{node=\"edge-d\"} 30", metrics);
    }

    [Fact]
    public async Task Start_AfterRestart_FindsCachedObjectsWithoutOrigin()
    {
        var dir = _cacheDir.Path + "-e";
        var body = CacheTestSupport.RandomBody(50_000);
        _origin.Add("/t/keep.m4s", body);
        await using (var first = await EdgeHost.StartAsync(_origin.Url, dir, nodeId: "edge-e"))
        {
            Assert.Equal(body, await first.Client.GetByteArrayAsync("/t/keep.m4s"));
        }

        await using var second = await EdgeHost.StartAsync(_origin.Url, dir, nodeId: "edge-e");
        using var response = await second.Client.GetAsync("/t/keep.m4s");

        Assert.Equal("edge-e; hit", CacheStatus(response));
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, _origin.RequestCount("/t/keep.m4s"));
    }

    [Theory]
    [InlineData("/t/..%2f..%2fetc/passwd", 400)]
    [InlineData("/t/%2e%2e/%2e%2e/etc/passwd", 400)]
    [InlineData("/t/%2E%2E/secret.m4s", 400)]
    [InlineData("/t/../../etc/passwd", 400)]
    [InlineData("/t/a%00b.m4s", 400)]
    [InlineData("/t/a%5c..%5cb.m4s", 400)]
    [InlineData("/t//a.m4s", 400)]
    [InlineData("/", 404)]
    [InlineData("/t/", 404)]
    public async Task Get_TraversalAttempts_AreRefusedBeforeTheCache(string rawPath, int status)
    {
        var response = await RawRequestAsync($"GET {rawPath} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.StartsWith($"HTTP/1.1 {status} ", response);
        Assert.Equal(0, _origin.TotalRequests);
    }

    [Fact]
    public async Task Get_OverlongPath_Returns414()
    {
        var response = await RawRequestAsync($"GET /{new string('a', 3000)}.m4s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 414 ", response);
        Assert.Equal(0, _origin.TotalRequests);
    }

    [Fact]
    public async Task Health_DrainAndReadiness_Report()
    {
        Assert.Equal("ok\n", await _edge.Client.GetStringAsync("/healthz"));
        Assert.Equal(HttpStatusCode.OK, (await _edge.Client.GetAsync("/readyz")).StatusCode);

        (await _edge.Client.PutAsync("/admin/drain", null)).Dispose();
        using var draining = await _edge.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, draining.StatusCode);
        Assert.Equal("draining\n", await draining.Content.ReadAsStringAsync());
        Assert.Equal("ok\n", await _edge.Client.GetStringAsync("/healthz"));

        (await _edge.Client.DeleteAsync("/admin/drain")).Dispose();
        Assert.Equal(HttpStatusCode.OK, (await _edge.Client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Readyz_CacheDirectoryUnusable_ReportsNotReady()
    {
        var dir = _cacheDir.Path + "-f";
        await using var edge = await EdgeHost.StartAsync(_origin.Url, dir, nodeId: "edge-f");

        // A file where the cache's tmp/ directory should be: as when a disk is remounted read-only or replaced.
        Directory.Delete(Path.Combine(dir, "tmp"), recursive: true);
        await File.WriteAllTextAsync(Path.Combine(dir, "tmp"), "not a directory");
        using var response = await edge.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("cache directory unusable\n", body);
        Assert.DoesNotContain(dir, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_AfterTraffic_ReportRequestsBytesAndCache()
    {
        _origin.Add("/t/m.m4s", CacheTestSupport.RandomBody(1234));
        (await _edge.Client.GetAsync("/t/m.m4s")).Dispose();
        (await _edge.Client.GetAsync("/t/m.m4s")).Dispose();

        using var response = await _edge.Client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("edge_requests_total{code=\"200\",cache=\"miss\",node=\"edge-a\"} 1", text);
        Assert.Contains("edge_requests_total{code=\"200\",cache=\"hit\",node=\"edge-a\"} 1", text);
        Assert.Contains("edge_response_bytes_total{cache=\"hit\",node=\"edge-a\"} 1234", text);
        Assert.Contains("edge_cache_objects{node=\"edge-a\"} 1", text);
        Assert.Contains($"edge_cache_used_bytes{{node=\"edge-a\"}} {4096 + 1234 + 8}", text);
        Assert.Contains("edge_request_duration_seconds_bucket", text);
        Assert.Contains("edge_collapsed_requests_total", text);
        Assert.Equal("edge-a; fwd=bypass", CacheStatus(response));
    }

    private static string CacheStatus(HttpResponseMessage response) => string.Join(", ", response.Headers.GetValues("Cache-Status"));


    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<string> RawRequestAsync(string request)
    {
        var uri = new Uri(_edge.Url);
        using var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync();
    }
}
