using System.Diagnostics;
using System.Net;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Caching;

/// <summary>
/// A cache directory on a 4 MiB tmpfs (mounted for the test; the test suite runs as root) and an object bigger than
/// the disk: the fill fails cleanly, nothing partial is left or served, the node keeps serving what it has, and
/// readiness says the disk is full until an object is stored again.
/// </summary>
public sealed class DiskFullTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private OriginServer _origin = null!;

    private string CacheDir => Path.Combine(_dir.Path, "cache");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(CacheDir);
        var (code, output) = await RunAsync("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", CacheDir);
        Assert.True(code == 0, "mounting a small tmpfs needs root, as the test command has: " + output);
        _origin = await OriginServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        await RunAsync("umount", CacheDir);
        _dir.Dispose();
    }

    [Fact]
    public async Task Get_FillLargerThanTheDisk_FailsCleanlyNodeServesWhatItHasAndIsNotReady()
    {
        var small = CacheTestSupport.RandomBody(100_000);
        var big = CacheTestSupport.RandomBody(8_000_000);
        _origin.Add("/t/small.m4s", small, "video/iso.segment");
        _origin.Add("/t/big.m4s", big, "video/iso.segment");
        _origin.Add("/t/after.m4s", CacheTestSupport.RandomBody(50_000), "video/iso.segment");
        await using var edge = await EdgeHost.StartAsync(_origin.Url, CacheDir, 100L * 1024 * 1024, "edge-f");
        Assert.Equal(small, await edge.Client.GetByteArrayAsync("/t/small.m4s"));

        // The big body cannot be written: the response is cut, never completed with bad bytes.
        var received = new MemoryStream();
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await edge.Client.GetAsync("/t/big.m4s", HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            await body.CopyToAsync(received);
        });
        Assert.True(received.Length < big.Length);
        Assert.Equal(big.AsSpan(0, (int)received.Length).ToArray(), received.ToArray());

        using (var ready = await edge.Client.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("disk full", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var hit = await edge.Client.GetAsync("/t/small.m4s"))
        {
            Assert.Equal(small, await hit.Content.ReadAsByteArrayAsync());
            Assert.Equal("edge-f; hit", string.Join(", ", hit.Headers.GetValues("Cache-Status")));
        }

        using (var health = await edge.Client.GetAsync("/healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(CacheDir, "tmp")), f => !f.EndsWith(".ready-probe", StringComparison.Ordinal));

        // A fill that fits stores again, and readiness comes back.
        (await edge.Client.GetAsync("/t/after.m4s")).Dispose();
        using var again = await edge.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardError.ReadToEndAsync() + await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
