using System.Text;
using Edge.EdgeServer.Live;
using Microsoft.Extensions.Time.Testing;

namespace Edge.EdgeServer.Tests.Live;

public sealed class PartTargetsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData("#EXTM3U\n#EXT-X-PART-INF:PART-TARGET=0.33334\n", 0.33334)]
    [InlineData("#EXTM3U\n#EXT-X-PART-INF:PART-TARGET=1\n", 1.0)]
    [InlineData("#EXTM3U\n#EXT-X-TARGETDURATION:6\n", null)]
    [InlineData("#EXTM3U\n#EXT-X-PART-INF:PART-TARGET=0\n", null)]
    [InlineData("#EXTM3U\n#EXT-X-PART-INF:PART-TARGET=-1\n", null)]
    [InlineData("#EXTM3U\n#EXT-X-PART-INF:PART-TARGET=99\n", null)]
    [InlineData("#EXTM3U\n#EXT-X-PART-INF:PART-TARGET=abc\n", null)]
    public void Observe_Playlist_PartTargetForItsFolderOnly(string playlist, double? expected)
    {
        var targets = new PartTargets(_time);
        targets.Observe("/ev/720p/index.m3u8?_HLS_msn=3", Encoding.ASCII.GetBytes(playlist));

        Assert.Equal(expected, targets.For("/ev/720p/part9.m4s")?.TotalSeconds);
        Assert.Null(targets.For("/ev/480p/part9.m4s"));
        Assert.Null(targets.For("/ev/part9.m4s"));
    }

    [Fact]
    public void For_PlaylistNotSeenForFiveMinutes_Forgotten()
    {
        var targets = new PartTargets(_time);
        targets.Observe("/ev/720p/index.m3u8", "#EXT-X-PART-INF:PART-TARGET=0.5\n"u8);
        _time.Advance(PartTargets.Expiry + TimeSpan.FromSeconds(1));

        Assert.Null(targets.For("/ev/720p/part9.m4s"));
        Assert.Equal(0, targets.Count);
    }

    [Fact]
    public void Observe_PastCapacity_OldestHalfForgotten()
    {
        var targets = new PartTargets(_time);
        for (var i = 0; i < PartTargets.Capacity + 1; i++)
        {
            targets.Observe($"/t{i}/index.m3u8", "#EXT-X-PART-INF:PART-TARGET=0.5\n"u8);
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal((PartTargets.Capacity / 2) + 1, targets.Count);
        Assert.Null(targets.For("/t0/part.m4s"));
        Assert.NotNull(targets.For($"/t{PartTargets.Capacity}/part.m4s"));
    }
}
