using Edge.EdgeServer.Filling;
using Microsoft.Extensions.Time.Testing;

namespace Edge.EdgeServer.Tests.Filling;

public class FillWindowTests
{
    private static DateTimeOffset At(int hour, int minute = 0) => new(2026, 6, 1, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void UntilOpen_DaytimeWindow_ZeroInsideTimeToStartOutside()
    {
        Assert.True(FillWindow.TryParse("02:00-14:00", out var window));

        Assert.Equal(TimeSpan.Zero, window.UntilOpen(At(2)));
        Assert.Equal(TimeSpan.Zero, window.UntilOpen(At(13, 59)));
        Assert.Equal(TimeSpan.FromHours(12), window.UntilOpen(At(14)));
        Assert.Equal(TimeSpan.FromHours(1), window.UntilOpen(At(1)));
    }

    [Fact]
    public void UntilOpen_WindowWrappingMidnight()
    {
        Assert.True(FillWindow.TryParse("22:00-06:00", out var window));

        Assert.Equal(TimeSpan.Zero, window.UntilOpen(At(23)));
        Assert.Equal(TimeSpan.Zero, window.UntilOpen(At(5)));
        Assert.Equal(TimeSpan.FromHours(10), window.UntilOpen(At(12)));
    }

    [Theory]
    [InlineData("2-14")]
    [InlineData("02:00")]
    [InlineData("25:00-26:00")]
    [InlineData("02:00-02:00")]
    public void TryParse_Malformed_False(string text) => Assert.False(FillWindow.TryParse(text, out _));

    [Fact]
    public void Charge_LimitedRate_PacesBytesOnTheClock()
    {
        var time = new FakeTimeProvider();
        var limiter = new ByteRateLimiter(1000, time);

        Assert.Equal(TimeSpan.Zero, limiter.Charge(500));
        Assert.Equal(TimeSpan.FromSeconds(0.5), limiter.Charge(2000));
        Assert.Equal(TimeSpan.FromSeconds(2.5), limiter.Charge(10));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.Zero, limiter.Charge(10));
        Assert.Equal(TimeSpan.Zero, new ByteRateLimiter(0, time).Charge(1_000_000));
    }
}
