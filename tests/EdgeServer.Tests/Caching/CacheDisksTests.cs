using Edge.EdgeServer.Caching;
using Edge.Testing;
using static Edge.EdgeServer.Tests.Caching.CacheTestSupport;

namespace Edge.EdgeServer.Tests.Caching;

public class CacheDisksTests
{
    private const long Big = 1L << 30;

    [Fact]
    public void Publish_TwoDisksOfUnequalBudgets_ObjectsSpreadByBudgetAndEachOnOneDisk()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        using var cache = CreateCache([(a.Path, 3 * Big), (b.Path, Big)]);

        for (var i = 0; i < 4000; i++)
        {
            Assert.True(Store(cache, $"/t/{i}.m4s", [1, 2, 3]));
        }

        Assert.Equal(4000, cache.Count);
        Assert.InRange(cache.Disks[0].Count, 2800, 3200);
        Assert.Equal(4000, cache.Disks[0].Count + cache.Disks[1].Count);
        Assert.Equal(cache.Disks[0].Count, Directory.EnumerateFiles(Path.Combine(a.Path, "objects"), "*", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public void DiskFor_ThirdDiskAdded_MovesOnlyItsShareAndOnlyToIt()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        using var c = new TempDirectory();
        var hashes = Enumerable.Range(0, 3000).Select(i => CacheKey.Hash($"/t/{i}.m4s")).ToList();
        List<string> before, after;
        using (var two = CreateCache([(a.Path, Big), (b.Path, Big)]))
        {
            before = [.. hashes.Select(h => two.DiskFor(h)!.Root)];
        }

        // Listed in another order too: a disk's share comes from its path, not its place in the list.
        using (var three = CreateCache([(c.Path, Big), (b.Path, Big), (a.Path, Big)]))
        {
            after = [.. hashes.Select(h => three.DiskFor(h)!.Root)];
        }

        var moved = Enumerable.Range(0, hashes.Count).Where(i => before[i] != after[i]).ToList();
        Assert.All(moved, i => Assert.Equal(Path.GetFullPath(c.Path), after[i]));
        Assert.InRange(moved.Count, 800, 1200);
    }

    [Fact]
    public void TryAcquire_DiskFailsWithIoErrors_TakenOutOfServiceAndItsObjectsFillOntoTheOther()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        var files = new FaultyFileSystem();
        using var cache = CreateCache([(a.Path, Big), (b.Path, Big)], files);
        var keys = Enumerable.Range(0, 200).Select(i => $"/t/{i}.m4s").ToList();
        Assert.All(keys, key => Assert.True(Store(cache, key, [9, 9])));
        var onB = keys.Where(k => cache.DiskFor(CacheKey.Hash(k)) == cache.Disks[1]).ToList();
        Assert.NotEmpty(onB);

        files.FailUnder(b.Path);

        // The first hit on the failing disk is a miss; the disk is checked and taken out.
        Assert.False(IsCached(cache, onB[0]));
        Assert.Equal(DiskState.Failed, cache.Disks[1].State);
        Assert.True(cache.Disks[1].Errors >= 1);
        Assert.True(cache.IsUsable(out var detail));
        Assert.StartsWith("1 of 2 cache disks out of service (2)", detail, StringComparison.Ordinal);

        // Its objects are misses now, filled onto the disk that works; the other disk's objects are still hits.
        Assert.All(onB, key => Assert.False(IsCached(cache, key)));
        Assert.All(keys.Except(onB), key => Assert.True(IsCached(cache, key)));
        Assert.All(onB, key => Assert.True(Store(cache, key, [7])));
        Assert.All(onB, key => Assert.True(IsCached(cache, key)));
        Assert.Equal(keys.Count, cache.Disks[0].Count);
    }

    [Fact]
    public async Task CheckDisks_FailedDiskWorksAgain_ReindexedAndCopiesFilledElsewhereWin()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        var files = new FaultyFileSystem();
        using var cache = CreateCache([(a.Path, Big), (b.Path, Big)], files);
        var keys = Enumerable.Range(0, 100).Select(i => $"/t/{i}.m4s").ToList();
        Assert.All(keys, key => Assert.True(Store(cache, key, [1])));
        var onB = keys.Where(k => cache.DiskFor(CacheKey.Hash(k)) == cache.Disks[1]).ToList();
        files.FailUnder(b.Path);
        cache.CheckDisks();
        Assert.Equal(DiskState.Failed, cache.Disks[1].State);

        // While it is away, one of its objects is filled again, onto the other disk.
        Assert.True(Store(cache, onB[0], [2, 2]));

        // Still failing: the check leaves it out.
        cache.CheckDisks();
        Assert.Equal(DiskState.Failed, cache.Disks[1].State);

        files.Heal();
        cache.CheckDisks();
        await Poll.UntilAsync(() => Task.FromResult(cache.Disks[1].State == DiskState.Online), "disk 2 back in service", TimeSpan.FromSeconds(30));

        Assert.True(cache.IsUsable(out var detail));
        Assert.Equal("", detail);
        Assert.All(onB.Skip(1), key => Assert.True(IsCached(cache, key)));
        Assert.True(cache.TryAcquire(CacheKey.Hash(onB[0]), onB[0], out var lease));
        using (lease)
        {
            Assert.Equal(2, lease.Metadata.ContentLength);
        }

        Assert.Equal(keys.Count, cache.Count);
        Assert.False(File.Exists(ObjectFileOf(b.Path, onB[0])));
    }

    [Fact]
    public void IsUsable_EveryDiskFailed_NotUsableAndNamesThem()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        var files = new FaultyFileSystem();
        using var cache = CreateCache([(a.Path, Big), (b.Path, Big)], files);
        files.FailUnder(a.Path);
        files.FailUnder(b.Path);
        cache.CheckDisks();

        Assert.False(cache.IsUsable(out var detail));
        Assert.StartsWith("no cache disk in service", detail, StringComparison.Ordinal);
        Assert.Throws<IOException>(() => cache.CreateTemp(CacheKey.Hash("/t/x.m4s")));
    }

    [Fact]
    public async Task Constructor_OneDiskSlowToIndex_NodeServesTheOtherMeanwhileAndJoinsItWhenDone()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        var keys = Enumerable.Range(0, 200).Select(i => $"/t/{i}.m4s").ToList();
        List<string> onB;
        using (var first = CreateCache([(a.Path, Big), (b.Path, Big)]))
        {
            Assert.All(keys, key => Assert.True(Store(first, key, [5])));
            onB = [.. keys.Where(k => first.DiskFor(CacheKey.Hash(k)) == first.Disks[1])];
        }

        var files = new FaultyFileSystem();
        files.HoldUnder(a.Path);

        // Disk 1 cannot even read its marker yet; the cache is up as soon as disk 2 is indexed.
        using var cache = CreateCache([(a.Path, Big), (b.Path, Big)], files, waitForEveryDisk: false);

        Assert.Equal(DiskState.Loading, cache.Disks[0].State);
        Assert.Equal(DiskState.Online, cache.Disks[1].State);
        Assert.All(onB, key => Assert.True(IsCached(cache, key)));
        Assert.True(cache.IsUsable(out var detail));
        Assert.Equal("1 of 2 cache disks out of service (1): disk 1 loading", detail);

        files.Held.Set();
        await cache.Loaded;

        Assert.Equal(DiskState.Online, cache.Disks[0].State);
        Assert.All(keys, key => Assert.True(IsCached(cache, key)));
    }

    [Fact]
    public void Constructor_CleanRestart_ReadsTheSnapshotAndListsOnlyFoldersChangedSince()
    {
        using var dir = new TempDirectory();
        var keys = Enumerable.Range(0, 500).Select(i => $"/t/{i}.m4s").ToList();
        using (var first = CreateCache(dir.Path, Big))
        {
            Assert.All(keys, key => Assert.True(Store(first, key, [1, 2, 3])));
        }

        // An object deleted while the node was stopped: its folder changed, so it alone is listed again.
        var deleted = ObjectFileOf(dir.Path, keys[0]);
        File.Delete(deleted);
        var folderObjects = Directory.EnumerateFiles(Path.GetDirectoryName(deleted)!).Count();

        using var second = CreateCache(dir.Path, Big);

        Assert.Equal(keys.Count - 1, second.Count);
        Assert.Equal((keys.Count - 1 - folderObjects, folderObjects), second.Disks[0].LastLoad);
        Assert.False(IsCached(second, keys[0]));
        Assert.All(keys.Skip(1), key => Assert.True(IsCached(second, key)));
        Assert.Equal(keys.Count - 1, second.UsedBytes / ObjectFile.SizeOnDisk(3));
    }
}
