using Edge.EdgeServer.Caching;
using Edge.Testing;
using static Edge.EdgeServer.Tests.Caching.CacheTestSupport;

namespace Edge.EdgeServer.Tests.Caching;

/// <summary>Cached objects' files are held open up to a bound, whatever the number of objects hit.</summary>
public sealed class OpenFileCacheTests
{
    [Fact]
    public void TryAcquire_MoreObjectsThanTheBound_OpenFilesStayWithinItAndEveryHitReadsItsBytes()
    {
        using var directory = new TempDirectory();
        using var cache = CreateCache(directory.Path, 64L * 1024 * 1024, maxOpenFiles: 4);
        var bodies = Enumerable.Range(0, 40).ToDictionary(i => $"/t/seg{i}.m4s", i => RandomBody(1000 + i));
        foreach (var (key, body) in bodies)
        {
            Assert.True(Store(cache, key, body));
        }

        for (var pass = 0; pass < 3; pass++)
        {
            foreach (var (key, body) in bodies)
            {
                Assert.True(cache.TryAcquire(CacheKey.Hash(key), key, out var lease));
                using (lease)
                {
                    var read = new byte[body.Length];
                    Assert.Equal(body.Length, RandomAccess.Read(lease.Handle, read, ObjectFile.HeaderSize));
                    Assert.Equal(body, read);
                }

                Assert.InRange(cache.OpenFiles.Count, 1, 4);
            }
        }

        Assert.True(cache.OpenFiles.Closed >= 100);
    }

    [Fact]
    public void TryAcquire_LeaseHeldWhileItsFileIsClosedAsIdle_LeaseKeepsReading()
    {
        using var directory = new TempDirectory();
        using var cache = CreateCache(directory.Path, 64L * 1024 * 1024, maxOpenFiles: 1);
        var first = RandomBody(5000);
        Store(cache, "/t/a.m4s", first);
        Store(cache, "/t/b.m4s", RandomBody(6000));

        Assert.True(cache.TryAcquire(CacheKey.Hash("/t/a.m4s"), "/t/a.m4s", out var held));
        Assert.True(cache.TryAcquire(CacheKey.Hash("/t/b.m4s"), "/t/b.m4s", out var other));
        other.Dispose();
        Assert.True(cache.TryAcquire(CacheKey.Hash("/t/b.m4s"), "/t/b.m4s", out other));
        other.Dispose();

        using (held)
        {
            var read = new byte[first.Length];
            Assert.Equal(first.Length, RandomAccess.Read(held.Handle, read, ObjectFile.HeaderSize));
            Assert.Equal(first, read);
        }

        Assert.Equal(1, cache.OpenFiles.Count);
        Assert.True(IsCached(cache, "/t/a.m4s"));
    }

    [Theory]
    [InlineData(0, 1024, 384)]
    [InlineData(0, 2048, 896)]
    [InlineData(0, 1_048_576, FileLimits.AutoMaxOpenFiles)]
    [InlineData(500, 2048, 500)]
    public void MaxOpenFiles_FromTheLimit_HalfOfWhatIsLeftAfterTheReserve(int configured, long softLimit, int expected)
    {
        Assert.Equal(expected, FileLimits.MaxOpenFiles(configured, softLimit));
    }

    [Fact]
    public void MaxConnections_LowDescriptorLimit_ConnectionsFitBesideTheOpenFiles()
    {
        var files = FileLimits.MaxOpenFiles(0, 2048);

        Assert.Equal(2048 - files - FileLimits.Reserve, FileLimits.MaxConnections(20_000, files, 2048));
        Assert.Equal(20_000, FileLimits.MaxConnections(20_000, FileLimits.MaxOpenFiles(0, 1_048_576), 1_048_576));
    }

    [Fact]
    public void IsOutOfDescriptors_EmfileAndWrapped_Recognised()
    {
        Assert.True(FileLimits.IsOutOfDescriptors(new IOException("Too many open files", 24)));
        Assert.True(FileLimits.IsOutOfDescriptors(new HttpRequestException("x", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.TooManyOpenSockets))));
        Assert.False(FileLimits.IsOutOfDescriptors(new IOException("No space left on device", 28)));
    }
}
