using Edge.EdgeServer.Configuration;
using Edge.Testing;
using static Edge.EdgeServer.Tests.Caching.CacheTestSupport;

namespace Edge.EdgeServer.Tests.Caching;

public class S3FifoEvictionPolicyTests
{
    private const int SegmentBytes = 10_000;
    private const long Budget = 50 * (Edge.EdgeServer.Caching.ObjectFile.HeaderSize + SegmentBytes);

    [Theory]
    [InlineData(EvictionPolicies.S3Fifo, true)]
    [InlineData(EvictionPolicies.Lru, false)]
    public void SelectVictim_ScanOfOneHitObjects_KeepsPopularTitleOnlyWithS3Fifo(string policy, bool popularSurvives)
    {
        using var dir = new TempDirectory();
        using var cache = CreateCache(dir.Path, Budget, policy);

        // A popular title: 20 segments, each watched a few times.
        var popular = Enumerable.Range(0, 20).Select(i => $"/popular/seg_{i}.m4s").ToArray();
        foreach (var key in popular)
        {
            Store(cache, key, new byte[SegmentBytes]);
        }

        for (var round = 0; round < 3; round++)
        {
            Assert.All(popular, key => Assert.True(IsCached(cache, key)));
        }

        // Then a scan: 200 one-hit wonders, four times the cache's size.
        for (var i = 0; i < 200; i++)
        {
            Store(cache, $"/longtail/{i}.m4s", new byte[SegmentBytes]);
        }

        var kept = popular.Count(key => IsCached(cache, key));
        if (popularSurvives)
        {
            Assert.Equal(popular.Length, kept);
        }
        else
        {
            Assert.Equal(0, kept);
        }

        Assert.True(cache.UsedBytes <= Budget);
    }

    [Fact]
    public void OnInserted_RecentlyEvictedObjectReturns_GoesToMainQueue()
    {
        using var dir = new TempDirectory();
        using var cache = CreateCache(dir.Path, Budget);

        Store(cache, "/again/seg.m4s", new byte[SegmentBytes]);
        for (var i = 0; i < 60; i++)
        {
            Store(cache, $"/scan/{i}.m4s", new byte[SegmentBytes]);
        }

        Assert.False(IsCached(cache, "/again/seg.m4s"));

        // Back within the ghost list's memory: admitted to main, so a second scan does not flush it.
        Store(cache, "/again/seg.m4s", new byte[SegmentBytes]);
        for (var i = 60; i < 100; i++)
        {
            Store(cache, $"/scan/{i}.m4s", new byte[SegmentBytes]);
        }

        Assert.True(IsCached(cache, "/again/seg.m4s"));
    }
}
