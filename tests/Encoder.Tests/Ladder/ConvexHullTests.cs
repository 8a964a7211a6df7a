using Edge.Encoder.Ladder;

namespace Edge.Encoder.Tests.Ladder;

public class ConvexHullTests
{
    [Fact]
    public void Build_DominatedAndConcavePoints_AreDropped()
    {
        QualityPoint[] points =
        [
            new(416, 234, 28, 100_000, 10),
            new(416, 234, 23, 200_000, 11),  // below the chord from 100k to 400k in log rate
            new(640, 360, 28, 400_000, 14),
            new(416, 234, 18, 500_000, 12),  // dearer and worse than 360p at 400k
            new(640, 360, 23, 800_000, 15),
        ];

        var hull = ConvexHull.Build(points);

        Assert.Equal([100_000L, 400_000, 800_000], hull.Select(p => p.Bitrate));
    }

    [Fact]
    public void Build_Hull_IsConcaveAndRising()
    {
        var random = new Random(7);
        var points = Enumerable.Range(0, 60)
            .Select(i => new QualityPoint(640, 360, i, random.Next(50_000, 8_000_000), random.NextDouble() * 30))
            .ToList();

        var hull = ConvexHull.Build(points);

        for (var i = 1; i < hull.Count; i++)
        {
            Assert.True(hull[i].Bitrate > hull[i - 1].Bitrate);
            Assert.True(hull[i].Quality > hull[i - 1].Quality);
        }

        for (var i = 2; i < hull.Count; i++)
        {
            double Slope(QualityPoint a, QualityPoint b) => (b.Quality - a.Quality) / (Math.Log(b.Bitrate) - Math.Log(a.Bitrate));
            Assert.True(Slope(hull[i - 1], hull[i]) < Slope(hull[i - 2], hull[i - 1]));
        }

        Assert.All(points, p => Assert.True(p.Quality <= ConvexHull.At(points, p.Bitrate).Quality + 1e-9));
    }

    [Fact]
    public void ChooseRungs_EasyContent_GetsFewerCheaperRungs()
    {
        // Easy content reaches the target (18) at 150 kbit/s; hard content needs 3 Mbit/s.
        List<QualityPoint> easy = [new(416, 234, 38, 60_000, 15), new(640, 360, 33, 150_000, 19), new(640, 360, 23, 400_000, 21)];
        List<QualityPoint> hard = [new(416, 234, 38, 150_000, 8), new(640, 360, 33, 700_000, 14), new(1280, 720, 28, 3_000_000, 18.5), new(1280, 720, 18, 9_000_000, 21.5)];

        var easyRungs = ConvexHull.ChooseRungs(easy, 18, 7_800_000, 64_000, 1.8, 8);
        var hardRungs = ConvexHull.ChooseRungs(hard, 18, 7_800_000, 64_000, 1.8, 8);

        // The top rung sits where the first resolution's curve reaches the target.
        Assert.Equal(150_000, easyRungs[^1].Bitrate);
        Assert.Equal(3_000_000, hardRungs[^1].Bitrate);
        Assert.Equal(720, hardRungs[^1].Height);
        Assert.Equal(18.5, hardRungs[^1].Quality);
        Assert.True(easyRungs.Count < hardRungs.Count);
        Assert.True(easyRungs.Sum(r => r.Bitrate) < hardRungs.Sum(r => r.Bitrate));
        Assert.All(hardRungs.Zip(hardRungs.Skip(1)), pair => Assert.InRange(pair.Second.Bitrate / (double)pair.First.Bitrate, 1.79, 1.81));
    }

    [Fact]
    public void ChooseRungs_TargetNeverReached_TopIsCappedAtMaxBitrate()
    {
        List<QualityPoint> points = [new(640, 360, 38, 200_000, 5), new(640, 360, 18, 20_000_000, 12)];

        var rungs = ConvexHull.ChooseRungs(points, 18, 365_000, 64_000, 1.8, 8);

        Assert.Equal(365_000, rungs[^1].Bitrate);
        Assert.True(rungs[0].Bitrate >= 64_000);
    }

    [Fact]
    public void At_CrossingCurves_PicksTheResolutionBestAtThatRate()
    {
        // 234p wins at low rates, 360p overtakes it above 400k.
        List<QualityPoint> trials =
        [
            new(416, 234, 33, 100_000, 10), new(416, 234, 23, 400_000, 13), new(416, 234, 18, 1_600_000, 14),
            new(640, 360, 33, 200_000, 8), new(640, 360, 23, 800_000, 15), new(640, 360, 18, 3_200_000, 19),
        ];

        var low = ConvexHull.At(trials, 200_000);
        var high = ConvexHull.At(trials, 1_600_000);

        Assert.Equal(234, low.Height);
        Assert.Equal(11.5, low.Quality, 6);
        Assert.Equal(360, high.Height);
        Assert.Equal(17, high.Quality, 6);
        Assert.Equal((360, 19.0), ConvexHull.At(trials, 9_000_000));
    }

    [Fact]
    public void At_BelowAResolutionsCheapestTrial_NotThatResolution()
    {
        // 1080p's steep curve continued down to 75k would beat 234p there; no 1080p encode looks like that.
        List<QualityPoint> trials =
        [
            new(416, 234, 38, 96_000, 33), new(416, 234, 20, 500_000, 54),
            new(1920, 1080, 38, 1_500_000, 84), new(1920, 1080, 20, 12_000_000, 98),
        ];

        Assert.Equal(234, ConvexHull.At(trials, 300_000).Height);
        Assert.Equal(1080, ConvexHull.At(trials, 1_500_000).Height);
        var below = ConvexHull.At(trials, 75_000);
        Assert.Equal(234, below.Height);
        Assert.True(below.Quality < 33);
    }

    [Fact]
    public void CrfAt_RatesAroundAndBeyondTheTrials_InterpolatedInLogRateWithinTheScale()
    {
        List<QualityPoint> trials =
        [
            new(640, 360, 38, 100_000, 50), new(640, 360, 32, 200_000, 60), new(640, 360, 26, 400_000, 70),
            new(1280, 720, 38, 300_000, 60),
        ];

        Assert.Equal(35, ConvexHull.CrfAt(trials, 360, 141_421), 3);
        Assert.Equal(26, ConvexHull.CrfAt(trials, 360, 5_000_000));
        Assert.Equal(44, ConvexHull.CrfAt(trials, 360, 50_000), 6);
        Assert.Equal(51, ConvexHull.CrfAt(trials, 360, 1_000));
        Assert.Equal(38, ConvexHull.CrfAt(trials, 720, 100_000));
    }

    [Fact]
    public void TopRate_SparseHull_ReadFromEachResolutionsCurveNotTheHullChord()
    {
        // The hull runs straight from 234p at 100k to 720p at 4M; no real encode reaches 18 until 720p at ~1.6M.
        List<QualityPoint> trials =
        [
            new(416, 234, 33, 100_000, 11), new(416, 234, 18, 400_000, 12),
            new(1280, 720, 38, 300_000, 8), new(1280, 720, 28, 1_000_000, 16), new(1280, 720, 18, 4_000_000, 22),
        ];

        var top = ConvexHull.TopRate(trials, 18);

        Assert.InRange(top, 1_500_000, 2_000_000);
        Assert.True(ConvexHull.RateFor(ConvexHull.Build(trials), 18) < top - 400_000, "the chord is too hopeful");
        Assert.Equal(4_000_000, ConvexHull.TopRate(trials, 40));
    }

    [Fact]
    public void RateFor_TargetBetweenHullPoints_InterpolatesInLogRate()
    {
        List<QualityPoint> hull = [new(640, 360, 28, 100_000, 10), new(640, 360, 18, 400_000, 14)];

        Assert.InRange(ConvexHull.RateFor(hull, 12), 199_999, 200_001);
        Assert.Equal(100_000, ConvexHull.RateFor(hull, 5));
        Assert.Equal(400_000, ConvexHull.RateFor(hull, 30));
    }
}
