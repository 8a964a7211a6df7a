using Edge.EdgeServer.Caching;
using Edge.Testing;
using static Edge.EdgeServer.Tests.Caching.CacheTestSupport;

namespace Edge.EdgeServer.Tests.Caching;

public class DiskCacheTests
{
    [Fact]
    public void Publish_Object_IsReadableWithItsMetadata()
    {
        using var dir = new TempDirectory();
        using var cache = CreateCache(dir.Path, 1 << 20);
        var body = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();

        Store(cache, "/t/seg1.m4s", body);

        Assert.True(cache.TryAcquire(CacheKey.Hash("/t/seg1.m4s"), "/t/seg1.m4s", out var lease));
        using (lease)
        {
            var read = new byte[body.Length];
            Assert.Equal(body.Length, RandomAccess.Read(lease.Handle, read, ObjectFile.HeaderSize));
            Assert.Equal(body, read);
            Assert.Equal(5000, lease.Metadata.ContentLength);
        }
    }

    [Fact]
    public void TryReserve_BeyondBudget_EvictsAndNeverExceedsMax()
    {
        using var dir = new TempDirectory();
        var max = 20 * ObjectFile.SizeOnDisk(1000);
        using var cache = CreateCache(dir.Path, max);

        for (var i = 0; i < 100; i++)
        {
            Assert.True(Store(cache, $"/t/{i}.m4s", new byte[1000]));
            Assert.True(cache.UsedBytes <= max);
            Assert.True(DiskBytes(Path.Combine(dir.Path, "objects")) <= max);
        }

        Assert.Equal(80, cache.Evictions);
        Assert.Equal(20, cache.Count);
    }

    [Fact]
    public void TryReserve_LargerThanBudget_Refuses()
    {
        using var dir = new TempDirectory();
        using var cache = CreateCache(dir.Path, 100_000);

        using var temp = cache.CreateTemp(default);
        Assert.False(temp.TryReserve(200_000));
        Assert.Equal(0, cache.ReservedBytes);
    }

    [Fact]
    public void Constructor_ExistingObjects_AreFoundWithoutTheirKeysAndLeftoversRemoved()
    {
        using var dir = new TempDirectory();
        using (var first = CreateCache(dir.Path, 1 << 20))
        {
            Store(first, "/t/a.m4s", [1, 2, 3]);
            Store(first, "/t/b.m4s", [4, 5]);
            using var abandoned = first.CreateTemp(default);
            RandomAccess.Write(abandoned.Handle, new byte[100], 0);

            // A fill that never finished leaves only a temporary file, which the next start removes.
            File.Copy(Path.Combine(dir.Path, "tmp", Path.GetFileName(abandoned.Path)), Path.Combine(dir.Path, "tmp", "crashed.part"));
        }

        using var second = CreateCache(dir.Path, 1 << 20);

        Assert.Equal(2, second.Count);
        Assert.Equal(ObjectFile.SizeOnDisk(3) + ObjectFile.SizeOnDisk(2), second.UsedBytes);
        Assert.True(IsCached(second, "/t/a.m4s"));
        Assert.True(IsCached(second, "/t/b.m4s"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.Path, "tmp")));
    }

    [Fact]
    public void TryAcquire_TruncatedFile_IsTreatedAsMissAndRemoved()
    {
        using var dir = new TempDirectory();
        using (var first = CreateCache(dir.Path, 1 << 20))
        {
            Store(first, "/t/a.m4s", new byte[5000]);
        }

        var file = Directory.EnumerateFiles(Path.Combine(dir.Path, "objects"), "*", SearchOption.AllDirectories).Single();
        using (var stream = new FileStream(file, FileMode.Open))
        {
            stream.SetLength(ObjectFile.HeaderSize + 10);
        }

        using var second = CreateCache(dir.Path, 1 << 20);

        Assert.False(IsCached(second, "/t/a.m4s"));
        Assert.False(File.Exists(file));
        Assert.Equal(0, second.UsedBytes);
    }

    [Fact]
    public void TryAcquire_EvictedWhileLeased_LeaseKeepsReading()
    {
        using var dir = new TempDirectory();
        using var cache = CreateCache(dir.Path, 1 << 20);
        var body = new byte[3000];
        body.AsSpan().Fill(7);
        Store(cache, "/t/a.m4s", body);
        Assert.True(cache.TryAcquire(CacheKey.Hash("/t/a.m4s"), "/t/a.m4s", out var lease));

        Assert.True(cache.Remove(CacheKey.Hash("/t/a.m4s")));

        using (lease)
        {
            var read = new byte[3000];
            Assert.Equal(3000, RandomAccess.Read(lease.Handle, read, ObjectFile.HeaderSize));
            Assert.Equal(body, read);
        }

        Assert.False(IsCached(cache, "/t/a.m4s"));
    }

    private static long DiskBytes(string path) =>
        Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}
