using System.Net;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Configuration;

/// <summary>The edge as a real process: start-up validation, and a SIGKILL in the middle of a fill.</summary>
public sealed class EdgeProcessTests
{
    [Theory]
    [InlineData("Edge:OriginUrl", "--Edge:CacheDirectory={dir}")]
    [InlineData("Edge:CacheDirectory", "--Edge:OriginUrl=http://127.0.0.1:1")]
    [InlineData("Edge:OriginUrl", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=ftp://origin")]
    [InlineData("Edge:CacheMaxBytes", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:CacheMaxBytes=lots")]
    [InlineData("Edge:CacheMaxBytes", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:CacheMaxBytes=-5")]
    [InlineData("Edge:NodeId", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:NodeId=bad id!")]
    [InlineData("Edge:EvictionPolicy", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:EvictionPolicy=random")]
    [InlineData("Edge:CacheDirectory", "--Edge:CacheDirectory=/proc/edge-cache", "--Edge:OriginUrl=http://127.0.0.1:1")]
    [InlineData("Edge:ControlPlaneUrls:0", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:ControlPlaneUrls:0=cp.example")]
    [InlineData("Edge:HeartbeatInterval", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:HeartbeatInterval=00:00:00")]
    [InlineData("Edge:Fill:Window", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Fill:Window=2am-2pm")]
    [InlineData("Edge:Fill:Concurrency", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Fill:Concurrency=0")]
    [InlineData("Edge:Fill:MaxBytesPerSecond", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Fill:MaxBytesPerSecond=-1")]
    [InlineData("Edge:Fill:LiveFollowLimit", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Fill:LiveFollowLimit=00:00:00")]
    [InlineData("Edge:Admission:DoorkeeperWindow", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Admission:DoorkeeperWindow=-00:01:00")]
    [InlineData("Edge:MemoryCacheMaxBytes", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:MemoryCacheMaxBytes=-1")]
    [InlineData("Edge:Limits:MaxRequestLineBytes", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Limits:MaxRequestLineBytes=1000")]
    [InlineData("Edge:OriginMaxConcurrentFills", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:OriginMaxConcurrentFills=0")]
    [InlineData("Edge:AdminTokens:0", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:AdminTokens:0=short")]
    [InlineData("Edge:AdminCorsOrigins:0", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:AdminCorsOrigins:0=https://ops.example/operator")]
    [InlineData("Edge:Tls:CertificatePath", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Tls:CertificatePath=/nonexistent/tls.crt")]
    [InlineData("Edge:UrlSigning:Keys:k1", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:UrlSigning:Keys:k1=c2hvcnQ=")]
    [InlineData("Edge:UrlSigning:Required", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:UrlSigning:Required=true")]
    [InlineData("Edge:CacheDirectories:0:MaxBytes", "--Edge:CacheDirectories:0:Path={dir}", "--Edge:OriginUrl=http://127.0.0.1:1")]
    [InlineData("Edge:CacheDirectories:1:Path", "--Edge:CacheDirectories:0:Path={dir}", "--Edge:CacheDirectories:0:MaxBytes=1000000", "--Edge:CacheDirectories:1:Path={dir}/inner", "--Edge:CacheDirectories:1:MaxBytes=1000000", "--Edge:OriginUrl=http://127.0.0.1:1")]
    [InlineData("Edge:CacheDirectories:0:Path", "--Edge:CacheDirectories:0:Path=/proc/edge-cache", "--Edge:CacheDirectories:0:MaxBytes=1000000", "--Edge:OriginUrl=http://127.0.0.1:1")]
    [InlineData("Edge:CacheDiskCheckInterval", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:CacheDiskCheckInterval=-00:00:01")]
    [InlineData("Edge:StripRequestHeaders", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:StripRequestHeaders=Cookie, Bad Name")]
    [InlineData("Edge:NegativeTtl", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:NegativeTtl=-00:00:01")]
    [InlineData("Edge:ManifestTtl", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:ManifestTtl=02:00:00")]
    [InlineData("Edge:MaxVariants", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:MaxVariants=0")]
    [InlineData("Edge:Transport:MaxResponseBufferBytes", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Transport:MaxResponseBufferBytes=100")]
    [InlineData("Edge:Transport:MemoryBlockBytes", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Transport:MemoryBlockBytes=5000")]
    [InlineData("Edge:Transport:MemoryBlockBytes", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Transport:MemoryBlockBytes=big")]
    [InlineData("Edge:Transport:IOQueueCount", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Transport:IOQueueCount=-1")]
    [InlineData("Edge:Transport:DirectSendMinBytes", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Transport:DirectSendMinBytes=-1")]
    [InlineData("Edge:Transport:DirectSend", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Transport:DirectSend=sometimes")]
    public async Task Start_BadConfiguration_FailsNamingTheKey(string key, params string[] args)
    {
        using var dir = new TempDirectory();
        await using var edge = EdgeProcess.Launch(["--urls=http://127.0.0.1:0", .. args.Select(a => a.Replace("{dir}", dir.Path))]);

        var exitCode = await edge.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Contains(key, edge.Output);
        Assert.DoesNotContain("Now listening", edge.Output);
    }

    [Fact]
    public async Task Kill_MidFill_LeavesNoVisibleObjectAndRestartServesWholeOne()
    {
        using var dir = new TempDirectory();
        await using var origin = await OriginServer.StartAsync();
        var body = new byte[2_000_000];
        new Random(1).NextBytes(body);
        var value = new OriginObject { Body = body, HoldAfter = 500_000 };
        origin.Add("/t/big.m4s", value);
        string[] args = [$"--Edge:CacheDirectory={dir.Path}", $"--Edge:OriginUrl={origin.Url}", "--Edge:NodeId=edge-k", "--Edge:Admission:DoorkeeperWindow=00:00:00"];

        var first = await EdgeProcess.StartAsync(args);
        using (var client = new HttpClient { BaseAddress = new Uri(first.Url) })
        {
            using var partial = await client.GetAsync("/t/big.m4s", HttpCompletionOption.ResponseHeadersRead);
            await using var stream = await partial.Content.ReadAsStreamAsync();
            await stream.ReadExactlyAsync(new byte[100_000]);
            await value.Held.Task;

            // Half an object sits in the fill's temporary file when the node dies.
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(dir.Path, "tmp")));
            await first.KillAsync();
        }

        // Let the origin's held response end instead of waiting for the server to shut down.
        value.Release.TrySetResult();

        await first.DisposeAsync();
        origin.Add("/t/big.m4s", new OriginObject { Body = body });
        await using var second = await EdgeProcess.StartAsync(args);
        using var again = new HttpClient { BaseAddress = new Uri(second.Url) };

        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.Path, "tmp")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.Path, "objects"), "*", SearchOption.AllDirectories));
        using var response = await again.GetAsync("/t/big.m4s");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("edge-k; fwd=miss", response.Headers.GetValues("Cache-Status").Single());
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());

        using var hit = await again.GetAsync("/t/big.m4s");
        Assert.Equal("edge-k; hit", hit.Headers.GetValues("Cache-Status").Single());
        Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Kill_MidProactiveFill_RestartResumesAndFetchesOnlyWhatWasMissing()
    {
        using var dir = new TempDirectory();
        await using var origin = await OriginServer.StartAsync();
        var title = Path.Combine(dir.Path, "title");
        await Ffmpeg.CreateSampleTitleAsync(title, seconds: 6);
        origin.AddDirectory("/sample", title);
        var files = Directory.EnumerateFiles(title, "*", SearchOption.AllDirectories).Select(f => "/sample/" + Path.GetRelativePath(title, f).Replace('\\', '/')).ToList();

        // The fill stops at the last segment of one rendition: the node is killed there.
        var stuck = files.Where(f => f.EndsWith(".m4s", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Last();
        var held = new OriginObject { Body = File.ReadAllBytes(Path.Combine(title, stuck["/sample/".Length..])), ContentType = "video/iso.segment", HoldHeaders = true };
        origin.Add(stuck, held);
        string[] args = [$"--Edge:CacheDirectory={Path.Combine(dir.Path, "cache")}", $"--Edge:OriginUrl={origin.Url}", "--Edge:NodeId=edge-k", "--Edge:Fill:Concurrency=1"];

        var first = await EdgeProcess.StartAsync(args);
        using (var client = new HttpClient { BaseAddress = new Uri(first.Url) })
        {
            using var started = await client.PostAsync("/admin/fills", new StringContent("{\"manifest\":\"/sample/master.m3u8\"}", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            await held.Held.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await first.KillAsync();
        }

        held.Release.TrySetResult();
        await first.DisposeAsync();
        var fetchedBefore = files.ToDictionary(f => f, origin.RequestCount);
        await using var second = await EdgeProcess.StartAsync(args);
        using var again = new HttpClient { BaseAddress = new Uri(second.Url) };

        using (var jobs = System.Text.Json.JsonDocument.Parse(await WaitForFillAsync(again)))
        {
            var job = jobs.RootElement[0];
            Assert.Equal("done", job.GetProperty("state").GetString());
            Assert.Equal(files.Count, job.GetProperty("objectsDone").GetInt32());
            Assert.True(job.GetProperty("objectsPresent").GetInt32() >= 1);
        }

        // Everything stored before the kill was not fetched again; every object is now a hit.
        Assert.All(files.Where(f => fetchedBefore[f] > 0 && f != stuck && !f.EndsWith(".m3u8", StringComparison.Ordinal)), f => Assert.Equal(fetchedBefore[f], origin.RequestCount(f)));
        foreach (var file in files)
        {
            using var response = await again.GetAsync(file);
            Assert.Equal("edge-k; hit", response.Headers.GetValues("Cache-Status").Single());
        }
    }

    /// <summary>The restarted node's fill jobs once the one job has finished.</summary>
    private static async Task<string> WaitForFillAsync(HttpClient client)
    {
        var text = "";
        await Poll.UntilAsync(async () =>
        {
            text = await client.GetStringAsync("/admin/fills");
            return text.Contains("\"done\"", StringComparison.Ordinal) || text.Contains("\"failed\"", StringComparison.Ordinal);
        }, "the fill to finish", TimeSpan.FromSeconds(60));
        return text;
    }
}
