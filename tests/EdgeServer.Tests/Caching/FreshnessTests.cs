using Edge.EdgeServer.Caching;

namespace Edge.EdgeServer.Tests.Caching;

public class FreshnessTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("public, max-age=60", 60)]
    [InlineData("max-age=60, s-maxage=10", 10)]
    [InlineData("no-cache, max-age=60", 0)]
    [InlineData("max-age=abc", 0)]
    [InlineData("public, max-age=\"30\"", 30)]
    public void FromResponse_CacheControl_Lifetime(string cacheControl, double expected)
    {
        Assert.Equal(expected, Freshness.FromResponse(cacheControl, null, Now, null, Now).LifetimeSeconds);
    }

    [Fact]
    public void FromResponse_Expires_RelativeToDate()
    {
        var rules = Freshness.FromResponse(null, Now.AddMinutes(5).ToString("r"), Now, null, Now);

        Assert.Equal(300, rules.LifetimeSeconds);
        Assert.Equal(0, Freshness.FromResponse(null, "not a date", Now, null, Now).LifetimeSeconds);
        Assert.Equal(60, Freshness.FromResponse("max-age=60", Now.AddDays(1).ToString("r"), Now, null, Now).LifetimeSeconds);
    }

    [Fact]
    public void FromResponse_NoExplicitExpiry_HeuristicTenPercentOfAgeCappedAtADay()
    {
        Assert.Equal(360, Freshness.FromResponse(null, null, Now, Now.AddHours(-1), Now).LifetimeSeconds);
        Assert.Equal(86_400, Freshness.FromResponse(null, null, Now, Now.AddYears(-1), Now).LifetimeSeconds);
        Assert.Equal(0, Freshness.FromResponse(null, null, Now, null, Now).LifetimeSeconds);
    }

    [Fact]
    public void FromResponse_StaleDirectivesAndMustRevalidate()
    {
        var rules = Freshness.FromResponse("max-age=2, stale-while-revalidate=10, stale-if-error=600", null, Now, null, Now);
        Assert.Equal((2.0, 10.0, 600.0, false), (rules.LifetimeSeconds, rules.StaleWhileRevalidateSeconds, rules.StaleIfErrorSeconds, rules.MustRevalidate));

        Assert.True(Freshness.FromResponse("max-age=2, must-revalidate", null, Now, null, Now).MustRevalidate);
        Assert.True(Freshness.FromResponse("s-maxage=2", null, Now, null, Now).MustRevalidate);
    }

    [Fact]
    public void Evaluate_AgeIncludesOriginAge()
    {
        var metadata = new ObjectMetadata
        {
            Key = "/a",
            ContentLength = 1,
            LastModified = Now,
            StoredAt = Now,
            FreshSeconds = 60,
            InitialAgeSeconds = 50,
            StaleIfErrorSeconds = 30,
        };

        Assert.True(Freshness.Evaluate(metadata, Now.AddSeconds(9)).Fresh);
        var stale = Freshness.Evaluate(metadata, Now.AddSeconds(11));
        Assert.False(stale.Fresh);
        Assert.Equal(61, stale.AgeSeconds);
        Assert.True(stale.MayServeOnError);
        Assert.False(stale.MayServeWhileRevalidating);
        Assert.False(Freshness.Evaluate(metadata, Now.AddSeconds(41)).MayServeOnError);
    }

    [Theory]
    [InlineData("no-store", false)]
    [InlineData("private, max-age=60", false)]
    [InlineData("public, max-age=60", true)]
    [InlineData(null, true)]
    public void AllowsStoring_SharedCacheRules(string? cacheControl, bool expected) =>
        Assert.Equal(expected, Freshness.AllowsStoring(cacheControl));
}
