using Edge.Load.Players;

namespace Edge.Load.Tests.Players;

public sealed class ThroughputAbrTests
{
    private static readonly long[] Ladder = [200_000, 800_000, 2_000_000, 5_000_000];

    [Fact]
    public void Choose_NoSampleYet_LowestVariant()
    {
        Assert.Equal(0, new ThroughputAbr().Choose(Ladder));
    }

    [Fact]
    public void Choose_ThreeMegabitsMeasured_HighestUnderTheSafetyShare()
    {
        var abr = new ThroughputAbr();

        abr.Sample(375_000, TimeSpan.FromSeconds(1));

        Assert.Equal(3_000_000, abr.EstimateBitsPerSecond);
        Assert.Equal(2, abr.Choose(Ladder));
    }

    [Fact]
    public void Choose_ThroughputFalls_StepsDownAsTheAverageFollows()
    {
        var abr = new ThroughputAbr();
        abr.Sample(1_000_000, TimeSpan.FromSeconds(1));
        Assert.Equal(3, abr.Choose(Ladder));

        for (var i = 0; i < 10; i++)
        {
            abr.Sample(50_000, TimeSpan.FromSeconds(1));
        }

        Assert.Equal(0, abr.Choose(Ladder));
    }
}
