using Edge.Encoder.Ladder;

namespace Edge.Encoder.Tests.Ladder;

public class BdRateTests
{
    private static readonly (double, double)[] Baseline = [(500_000, 60), (1_000_000, 75), (2_000_000, 85), (4_000_000, 92)];

    [Fact]
    public void Of_SameCurve_Zero() =>
        Assert.Equal(0, BdRate.Of(Baseline, Baseline)!.Value, 9);

    [Fact]
    public void Of_SameQualityAtHalfTheRate_MinusFiftyPercent() =>
        Assert.Equal(-0.5, BdRate.Of(Baseline, Baseline.Select(p => (p.Item1 / 2, p.Item2)))!.Value, 9);

    [Fact]
    public void Of_CandidateDearerOverPartOfTheRange_AveragesOnlyWhereBothReach()
    {
        // The candidate spans 75 to 92 only, at 1.2x the rate there; the baseline's rung at 60 does not count.
        var candidate = new (double, double)[] { (1_200_000, 75), (2_400_000, 85), (4_800_000, 92) };
        Assert.Equal(0.2, BdRate.Of(Baseline, candidate)!.Value, 6);
    }

    [Fact]
    public void Of_InefficientPoint_Dropped()
    {
        // A dearer rung that looks no better is not on the curve, so it changes nothing.
        var withWaste = Baseline.Append((8_000_000, 91.5));
        Assert.Equal(0, BdRate.Of(Baseline, withWaste)!.Value, 9);
    }

    [Fact]
    public void Of_OneRungCandidate_ItsRateAgainstTheBaselinesAtItsQuality()
    {
        // The baseline needs 1.5M for 80 (half way between 75 and 85 in log rate: sqrt(1M x 2M) = 1.414M).
        Assert.Equal((750_000 / Math.Sqrt(2e12)) - 1, BdRate.Of(Baseline, [(750_000, 80)])!.Value, 9);
        Assert.Null(BdRate.Of(Baseline, [(750_000, 97)]));
    }

    [Fact]
    public void Of_NoSharedQuality_Null() =>
        Assert.Null(BdRate.Of(Baseline, [(5_000_000, 95), (9_000_000, 98)]));
}
