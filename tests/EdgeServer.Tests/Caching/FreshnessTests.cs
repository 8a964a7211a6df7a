using Edge.EdgeServer.Caching;

namespace Edge.EdgeServer.Tests.Caching;

public class FreshnessTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static string Http(DateTimeOffset at) => at.ToString("r");

    private static FreshnessRules Rules(string? cacheControl, string? expires = null, DateTimeOffset? lastModified = null, int status = 200, string? targeted = null, TimeSpan negativeTtl = default) =>
        Freshness.FromResponse(new ResponseCaching(status, cacheControl, targeted, expires, Http(Now), lastModified is { } lm ? Http(lm) : null), Now, negativeTtl);

    [Theory]
    [InlineData("public, max-age=60", 60)]
    [InlineData("max-age=60, s-maxage=10", 10)]
    [InlineData("no-cache, max-age=60", 0)]
    [InlineData("no-cache=\"Set-Cookie, X-A\", max-age=60", 0)]
    [InlineData("max-age=abc", 0)]
    [InlineData("public, max-age=\"30\"", 30)]
    [InlineData("max-age=99999999999999999999", int.MaxValue)]
    public void FromResponse_CacheControl_Lifetime(string cacheControl, double expected) =>
        Assert.Equal(expected, Rules(cacheControl).LifetimeSeconds);

    [Fact]
    public void FromResponse_Expires_RelativeToDate()
    {
        Assert.Equal(300, Rules(null, Http(Now.AddMinutes(5))).LifetimeSeconds);
        Assert.Equal(0, Rules(null, "0").LifetimeSeconds);
        Assert.Equal(60, Rules("max-age=60", Http(Now.AddDays(1))).LifetimeSeconds);

        // The obsolete RFC 850 and asctime forms are HTTP-dates too.
        Assert.Equal(300, Rules(null, Now.AddMinutes(5).ToString("dddd, dd-MMM-yy HH:mm:ss 'GMT'", System.Globalization.CultureInfo.InvariantCulture)).LifetimeSeconds);
    }

    [Fact]
    public void FromResponse_NoExplicitExpiry_HeuristicTenPercentOfAgeCappedAtADay()
    {
        Assert.Equal(360, Rules(null, lastModified: Now.AddHours(-1)).LifetimeSeconds);
        Assert.Equal(86_400, Rules(null, lastModified: Now.AddYears(-1)).LifetimeSeconds);
        Assert.Equal(0, Rules(null).LifetimeSeconds);
        Assert.False(Rules(null).Explicit);
    }

    [Theory]
    [InlineData(404, 2)]
    [InlineData(410, 2)]
    [InlineData(200, 0)]
    [InlineData(500, 0)]
    public void FromResponse_NegativeTtl_OnlyFor404And410WithoutFreshness(int status, double expected) =>
        Assert.Equal(expected, Rules(null, status: status, negativeTtl: TimeSpan.FromSeconds(2)).LifetimeSeconds);

    [Fact]
    public void FromResponse_HeuristicNotForStatusesThatAreNotHeuristicallyCacheable()
    {
        Assert.Equal(0, Rules(null, lastModified: Now.AddHours(-1), status: 302).LifetimeSeconds);
        Assert.Equal(360, Rules(null, lastModified: Now.AddHours(-1), status: 301).LifetimeSeconds);
    }

    [Fact]
    public void FromResponse_TargetedField_WinsOverCacheControlAndExpires()
    {
        Assert.Equal(600, Rules("max-age=5", targeted: "max-age=600").LifetimeSeconds);
        Assert.Equal(0, Rules("max-age=600", targeted: "max-age=0").LifetimeSeconds);
        Assert.Equal(0, Rules(null, Http(Now.AddDays(1)), targeted: "no-cache").LifetimeSeconds);
    }

    [Fact]
    public void FromResponse_StaleDirectivesAndMustRevalidate()
    {
        var rules = Rules("max-age=2, stale-while-revalidate=10, stale-if-error=600");
        Assert.Equal((2.0, 10.0, 600.0, false), (rules.LifetimeSeconds, rules.StaleWhileRevalidateSeconds, rules.StaleIfErrorSeconds, rules.MustRevalidate));

        Assert.True(Rules("max-age=2, must-revalidate").MustRevalidate);
        Assert.True(Rules("s-maxage=2").MustRevalidate);
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

    [Theory]
    [InlineData(200, null, null, false, true)]
    [InlineData(404, null, null, false, true)]
    [InlineData(302, null, null, false, false)]
    [InlineData(302, "max-age=60", null, false, true)]
    [InlineData(503, "max-age=60", null, false, false)]
    [InlineData(503, "s-maxage=5", null, false, true)]
    [InlineData(503, null, "max-age=5", false, true)]
    [InlineData(206, "max-age=60", null, false, false)]
    [InlineData(200, "max-age=60", "no-store", false, false)]
    [InlineData(200, "no-store", "max-age=60", false, true)]
    [InlineData(599, "max-age=60, must-understand, no-store", null, false, false)]
    [InlineData(200, "max-age=60, must-understand, no-store", null, false, true)]
    [InlineData(200, "max-age=60", null, true, false)]
    [InlineData(200, "max-age=60, public", null, true, true)]
    [InlineData(200, "s-maxage=60", null, true, true)]
    public void AllowsStoring_ByStatusAndDirectives(int status, string? cacheControl, string? targeted, bool authorization, bool expected)
    {
        var caching = new ResponseCaching(status, cacheControl, targeted, null, Http(Now), null, authorization);
        Assert.Equal(expected, Freshness.AllowsStoring(caching, Freshness.FromResponse(caching, Now)));
    }
}
