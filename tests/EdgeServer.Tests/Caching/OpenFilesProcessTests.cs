using System.Net;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Caching;

/// <summary>
/// A real edge process under a low open-file limit, driven through ten times as many distinct objects as the limit:
/// it never fails a request other than with a documented 503, never holds more descriptors than the limit, and lives.
/// </summary>
public sealed class OpenFilesProcessTests
{
    private const int OpenFileLimit = 2048;
    private const int Objects = OpenFileLimit * 10;

    [Fact]
    public async Task Get_TenTimesAsManyObjectsAsTheOpenFileLimit_MissesThenHitsWithoutFailuresOrExtraDescriptors()
    {
        await using var origin = await OriginServer.StartAsync();
        for (var i = 0; i < Objects; i++)
        {
            origin.Add($"/t/o{i}.m4s", new byte[1024], "video/iso.segment");
        }

        using var cache = new TempDirectory();
        await using var edge = await HostProcess.StartAsync(EdgeProcess.Assembly, OpenFileLimit,
            $"--Edge:OriginUrl={origin.Url}", $"--Edge:CacheDirectory={cache.Path}", "--Edge:NodeId=edge-files",
            "--Edge:Admission:DoorkeeperWindow=00:00:00", "--Edge:MemoryCacheMaxBytes=0");
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16, UseProxy = false }) { BaseAddress = new Uri(edge.Url) };
        var maxDescriptors = 0;

        foreach (var pass in new[] { "miss", "hit" })
        {
            var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
            var hits = 0;
            await Parallel.ForEachAsync(Enumerable.Range(0, Objects), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, token) =>
            {
                using var response = await client.GetAsync($"/t/o{i}.m4s", token);
                var body = await response.Content.ReadAsByteArrayAsync(token);
                statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Assert.Equal(1024, body.Length);
                    if (response.Headers.TryGetValues("Cache-Status", out var status) && status.First().Contains("hit", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref hits);
                    }
                }
                else
                {
                    // The only failure the node may give: out of descriptors, retry.
                    Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode} for /t/o{i}.m4s; the edge's output:\n{edge.Output}");
                    Assert.True(response.Headers.RetryAfter is not null);
                }

                if (i % 500 == 0)
                {
                    var open = Directory.GetFiles($"/proc/{edge.Id}/fd").Length;
                    InterlockedMax(ref maxDescriptors, open);
                }
            });

            Assert.False(edge.HasExited, edge.Output);
            Assert.Equal(Objects, statuses.GetValueOrDefault(200));
            if (pass == "hit")
            {
                Assert.Equal(Objects, hits);
            }
        }

        // Half the limit (less a reserve) for cached files, plus sockets and the runtime's own: never near the limit.
        Assert.InRange(maxDescriptors, 1, ((OpenFileLimit - 256) / 2) + 400);
        using var health = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(Objects, origin.TotalRequests);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }
}
