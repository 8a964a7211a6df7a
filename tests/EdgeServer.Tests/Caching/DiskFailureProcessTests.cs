using System.Diagnostics;
using System.Net;
using Edge.Testing;
using static Edge.EdgeServer.Tests.Caching.CacheTestSupport;

namespace Edge.EdgeServer.Tests.Caching;

/// <summary>
/// A real edge process on two cache disks, one of which is a mount that goes away mid-traffic (unmounted lazily, as a
/// dying or pulled disk is; where the test may not mount, the directory is moved away, which the process sees the
/// same way). Players are served throughout, the node stays ready, and the disk is used again when it comes back.
/// </summary>
public sealed class DiskFailureProcessTests
{
    private const int BodyBytes = 64 * 1024;
    private const int Hot = 300;
    private const int Cold = 100;
    private const int Requests = 3000;
    private const int Workers = 8;

    [Fact]
    public async Task Get_OneOfTwoDisksLostMidTraffic_PlayersServedNodeReadyAndTheDiskUsedAgainWhenBack()
    {
        await using var origin = await OriginServer.StartAsync();
        var bodies = new Dictionary<string, byte[]>();
        for (var i = 0; i < Hot * 2 + Cold; i++)
        {
            var key = $"/t/o{i}.m4s";
            bodies[key] = RandomBody(BodyBytes + i);
            origin.Add(key, bodies[key], "video/iso.segment");
        }

        using var first = new TempDirectory();
        using var backing = new TempDirectory();
        using var second = new TempDirectory();
        using var disk = DetachableDisk.Attach(backing.Path, second.Path);
        await using var edge = await EdgeProcess.StartAsync(
            $"--Edge:OriginUrl={origin.Url}", "--Edge:NodeId=edge-disks",
            $"--Edge:CacheDirectories:0:Path={first.Path}", "--Edge:CacheDirectories:0:MaxBytes=1073741824",
            $"--Edge:CacheDirectories:1:Path={second.Path}", "--Edge:CacheDirectories:1:MaxBytes=1073741824",
            "--Edge:CacheDiskCheckInterval=00:00:00.2", "--Edge:Admission:DoorkeeperWindow=00:00:00", "--Edge:MemoryCacheMaxBytes=0");
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Workers + 2, UseProxy = false }) { BaseAddress = new Uri(edge.Url) };

        // Hot objects are what players request during the failure; cold ones are left alone until the disk is back.
        var hot = Enumerable.Range(0, Hot).Select(i => $"/t/o{i}.m4s").ToList();
        var fresh = Enumerable.Range(Hot, Hot).Select(i => $"/t/o{i}.m4s").ToList();
        var cold = Enumerable.Range(Hot * 2, Cold).Select(i => $"/t/o{i}.m4s").ToList();
        foreach (var key in hot.Concat(cold))
        {
            Assert.Equal(bodies[key], await client.GetByteArrayAsync(key));
        }

        var hotOnSecond = hot.Count(key => File.Exists(ObjectFileOf(second.Path, key)));
        var coldOnSecond = cold.Where(key => File.Exists(ObjectFileOf(second.Path, key))).ToList();
        Assert.InRange(hotOnSecond, Hot / 4, Hot * 3 / 4);
        Assert.NotEmpty(coldOnSecond);

        // Hits (reads) and first requests (writes) on both disks; a third of the way through, the second disk goes.
        var done = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var third = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var traffic = Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            for (var k = worker; k < Requests; k += Workers)
            {
                var key = k % 3 == 0 ? fresh[k / 3 % fresh.Count] : hot[(k - (k / 3) - 1) % hot.Count];
                try
                {
                    using var response = await client.GetAsync(key);
                    var body = await response.Content.ReadAsByteArrayAsync();
                    if (response.StatusCode != HttpStatusCode.OK || !body.AsSpan().SequenceEqual(bodies[key]))
                    {
                        failures.Enqueue($"{key}: {(int)response.StatusCode}, {body.Length} bytes");
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue($"{key}: {ex.Message}");
                }

                if (k % 25 == 0)
                {
                    using var ready = await client.GetAsync("/readyz");
                    if (ready.StatusCode != HttpStatusCode.OK)
                    {
                        failures.Enqueue($"/readyz: {(int)ready.StatusCode} {await ready.Content.ReadAsStringAsync()}");
                    }
                }

                if (Interlocked.Increment(ref done) == Requests / 3)
                {
                    third.SetResult();
                }
            }
        })));

        await third.Task;
        disk.Detach();
        await traffic;

        // Only requests in flight on the lost disk at that instant may fail; none did here so far, and few ever can.
        Assert.True(failures.Count <= Workers, string.Join("\n", failures));
        Assert.False(edge.HasExited, edge.Output);
        using (var ready = await client.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("ready; 1 of 2 cache disks out of service (2)\n", await ready.Content.ReadAsStringAsync());
        }

        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("edge_cache_disk_state{disk=\"2\",state=\"failed\",node=\"edge-disks\"} 1", metrics);
        Assert.Contains("edge_cache_disk_state{disk=\"1\",state=\"online\",node=\"edge-disks\"} 1", metrics);
        Assert.Contains("Cache disk 2 (" + Path.GetFullPath(second.Path) + ") is out of service", edge.Output);

        // Everything players asked for is on the first disk now: a second look at each is a hit without the origin.
        var before = origin.TotalRequests;
        foreach (var key in hot.Concat(fresh))
        {
            using var response = await client.GetAsync(key);
            Assert.Equal(bodies[key], await response.Content.ReadAsByteArrayAsync());
            var status = response.Headers.GetValues("Cache-Status").Single();
            Assert.True(status.Contains("hit", StringComparison.Ordinal), $"{key}: {status}\n{edge.Output}");
        }

        Assert.Equal(before, origin.TotalRequests);

        // The disk comes back: it is checked, indexed again and used; what it held and nobody asked for since is a hit.
        disk.Reattach();
        await Poll.UntilAsync(
            async () => (await client.GetStringAsync("/metrics")).Contains("edge_cache_disk_state{disk=\"2\",state=\"online\",node=\"edge-disks\"} 1", StringComparison.Ordinal),
            "disk 2 back in service",
            TimeSpan.FromSeconds(60));
        foreach (var key in coldOnSecond)
        {
            using var response = await client.GetAsync(key);
            Assert.Equal(bodies[key], await response.Content.ReadAsByteArrayAsync());
            Assert.Contains("hit", response.Headers.GetValues("Cache-Status").Single(), StringComparison.Ordinal);
            Assert.Equal(1, origin.RequestCount(key));
        }

        using (var ready = await client.GetAsync("/readyz"))
        {
            Assert.Equal("ready\n", await ready.Content.ReadAsStringAsync());
        }
    }

    /// <summary>A cache disk that can be taken away from under the process and given back.</summary>
    private sealed class DetachableDisk : IDisposable
    {
        private readonly string _backing;
        private readonly string _mountPoint;
        private readonly bool _mounted;
        private bool _attached;

        private DetachableDisk(string backing, string mountPoint, bool mounted)
        {
            _backing = backing;
            _mountPoint = mountPoint;
            _mounted = mounted;
            _attached = true;
        }

        /// <summary>A bind mount of <paramref name="backing"/> at <paramref name="mountPoint"/> where the test may mount; else the directory itself.</summary>
        public static DetachableDisk Attach(string backing, string mountPoint) =>
            new(backing, mountPoint, Run("mount", "--bind", backing, mountPoint));

        /// <summary>Lazily unmounted: open files keep working, every new path lookup finds the empty directory beneath.</summary>
        public void Detach()
        {
            if (_mounted)
            {
                Assert.True(Run("umount", "-l", _mountPoint));
            }
            else
            {
                Directory.Move(_mountPoint, _backing + "-away");
                Directory.CreateDirectory(_mountPoint);
            }

            _attached = false;
        }

        public void Reattach()
        {
            if (_mounted)
            {
                Assert.True(Run("mount", "--bind", _backing, _mountPoint));
            }
            else
            {
                Directory.Delete(_mountPoint, recursive: true);
                Directory.Move(_backing + "-away", _mountPoint);
            }

            _attached = true;
        }

        public void Dispose()
        {
            if (_mounted && _attached)
            {
                Run("umount", "-l", _mountPoint);
            }
        }

        private static bool Run(string file, params string[] args)
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
                process.WaitForExit(30_000);
                return process.HasExited && process.ExitCode == 0;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false;
            }
        }
    }
}
