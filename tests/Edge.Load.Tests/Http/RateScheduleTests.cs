using Edge.Load.Http;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Load.Tests.Http;

public sealed class RateScheduleTests
{
    [Fact]
    public void DueTimestamp_Rate200_EveryFiveMilliseconds()
    {
        var time = new FakeTimeProvider();
        var schedule = new RateSchedule(200, time.GetTimestamp(), time);

        Assert.Equal(TimeSpan.Zero, schedule.Until(schedule.Take()));
        Assert.Equal(TimeSpan.FromMilliseconds(5), schedule.Until(schedule.Take()));
        Assert.Equal(TimeSpan.FromMilliseconds(10), schedule.Until(schedule.Take()));
        Assert.Equal(TimeSpan.FromSeconds(5), schedule.Until(1000));
    }

    [Fact]
    public void Until_LateTicket_ZeroSoItGoesAtOnce()
    {
        var time = new FakeTimeProvider();
        var schedule = new RateSchedule(10, time.GetTimestamp(), time);
        time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(TimeSpan.Zero, schedule.Until(5));
        Assert.Equal(TimeSpan.FromMilliseconds(100), schedule.Until(31));
    }

    [Fact]
    public void Take_ManyWorkers_EveryTicketOnce()
    {
        var schedule = new RateSchedule(1000, 0, new FakeTimeProvider());
        var tickets = new System.Collections.Concurrent.ConcurrentBag<long>();

        Parallel.For(0, 10_000, _ => tickets.Add(schedule.Take()));

        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => (long)i), tickets.Order());
    }
}
