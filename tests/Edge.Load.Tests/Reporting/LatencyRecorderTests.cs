using Edge.Load.Reporting;

namespace Edge.Load.Tests.Reporting;

public sealed class LatencyRecorderTests
{
    [Fact]
    public void Summarize_UniformOneToTenThousandMicroseconds_PercentilesWithinATenthOfAPercent()
    {
        var recorder = new LatencyRecorder();
        for (var us = 1; us <= 10_000; us++)
        {
            recorder.Record(TimeSpan.FromMicroseconds(us));
        }

        var summary = recorder.Summarize();

        Assert.Equal(10_000, summary.Count);
        Assert.Equal(5.0, summary.P50Ms, 0.005);
        Assert.Equal(9.0, summary.P90Ms, 0.009);
        Assert.Equal(9.9, summary.P99Ms, 0.0099);
        Assert.Equal(9.99, summary.P999Ms, 0.00999);
        Assert.Equal(10.0, summary.MaxMs, 0.01);
        Assert.Equal(5.0005, summary.MeanMs, 0.005);
    }

    [Fact]
    public void Summarize_LongTail_P999SeesTheOutliersThatP99Hides()
    {
        var recorder = new LatencyRecorder();
        for (var i = 0; i < 9_980; i++)
        {
            recorder.Record(TimeSpan.FromMilliseconds(1));
        }

        for (var i = 0; i < 20; i++)
        {
            recorder.Record(TimeSpan.FromSeconds(2));
        }

        var summary = recorder.Summarize();

        Assert.Equal(1.0, summary.P99Ms, 0.001);
        Assert.InRange(summary.P999Ms, 1998, 2002);
        Assert.InRange(summary.MaxMs, 1998, 2002);
    }

    [Fact]
    public void Summarize_Empty_AllZero()
    {
        Assert.Equal(LatencySummary.Empty, new LatencyRecorder().Summarize());
        Assert.Equal(0, new LatencyRecorder().PercentileMs(99));
    }

    [Fact]
    public void Add_TwoRecorders_SameAsRecordingEverythingInOne()
    {
        var a = new LatencyRecorder();
        var b = new LatencyRecorder();
        var all = new LatencyRecorder();
        for (var i = 1; i <= 1000; i++)
        {
            (i % 2 == 0 ? a : b).Record(TimeSpan.FromMicroseconds(i * 7));
            all.Record(TimeSpan.FromMicroseconds(i * 7));
        }

        a.Add(b);

        Assert.Equal(all.Summarize(), a.Summarize());
    }
}
