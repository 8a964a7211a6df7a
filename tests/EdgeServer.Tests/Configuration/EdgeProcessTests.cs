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
    [InlineData("Edge:Admission:DoorkeeperWindow", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Admission:DoorkeeperWindow=-00:01:00")]
    [InlineData("Edge:MemoryCacheMaxBytes", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:MemoryCacheMaxBytes=-1")]
    [InlineData("Edge:Limits:MaxRequestLineBytes", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Limits:MaxRequestLineBytes=1000")]
    [InlineData("Edge:OriginMaxConcurrentFills", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:OriginMaxConcurrentFills=0")]
    [InlineData("Edge:AdminTokens:0", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:AdminTokens:0=short")]
    [InlineData("Edge:Tls:CertificatePath", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:Tls:CertificatePath=/nonexistent/tls.crt")]
    [InlineData("Edge:UrlSigning:Keys:k1", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:UrlSigning:Keys:k1=c2hvcnQ=")]
    [InlineData("Edge:UrlSigning:Required", "--Edge:CacheDirectory={dir}", "--Edge:OriginUrl=http://127.0.0.1:1", "--Edge:UrlSigning:Required=true")]
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
}
