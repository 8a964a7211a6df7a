using System.Globalization;
using System.Text.RegularExpressions;
using Edge.Encoder.Live;
using Edge.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Encoder.Tests.Live;

public sealed class LiveTrackTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AddFragment_VideoFramesAsFragments_PartsAtMostTargetAndSegmentsOnKeyFrames()
    {
        using var temp = new TempDirectory();
        var source = await LiveSource.VideoAsync(temp.Path, 7);
        using var title = new LiveTitle("ev", new LiveSettings(), new FakeTimeProvider(Start), archive: null);
        var track = title.AddTrack("90p", 300_000, 30);
        source.Start(track);
        source.Feed(track, 0, source.Fragments.Count);
        track.End();

        var segments = track.CompleteSegments();
        Assert.Equal(4, segments.Count);
        var timescale = track.Track!.Timescale;
        foreach (var segment in segments.SkipLast(1))
        {
            Assert.Equal(2.0, (double)segment.Duration / timescale, 3);
        }

        Assert.Equal(1.0, (double)segments[^1].Duration / timescale, 3);
        foreach (var segment in segments)
        {
            Assert.True(segment.Parts[0].Independent);
            Assert.All(segment.Parts.Skip(1), p => Assert.False(p.Independent));
            Assert.All(segment.Parts, p => Assert.True(p.Duration <= timescale / 2, $"part of {p.Duration} ticks"));

            // Every part but a segment's last is at least 85% of the target, as the spec asks.
            Assert.All(segment.Parts.SkipLast(1), p => Assert.True(p.Duration >= timescale * 0.85 / 2));
            Assert.Equal(segment.Parts.SelectMany(p => p.Bytes.Completed.ToArray()), segment.Bytes.Completed.ToArray());
        }

        Assert.Equal(title.FirstMsn, segments[0].Msn);
        Assert.Equal(title.FirstMsn * 100, segments[0].Parts[0].Number);
    }

    [Fact]
    public async Task MediaPlaylist_Live_HasLowLatencyTagsAndPreloadHint()
    {
        using var temp = new TempDirectory();
        var source = await LiveSource.VideoAsync(temp.Path, 5);
        var time = new FakeTimeProvider(Start);
        using var title = new LiveTitle("ev", new LiveSettings(), time, archive: null);
        var video = title.AddTrack("90p", 300_000, 30);
        var other = title.AddTrack("72p", 200_000, 30);
        source.Start(video);
        source.Start(other);

        // Two whole segments and one frame into the third: its first part is still being written.
        source.Feed(video, 0, 121);
        source.Feed(other, 0, 75);
        var playlist = video.MediaPlaylist(title.Tracks, skip: false);
        var first = title.FirstMsn;

        Assert.StartsWith("#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n", playlist, StringComparison.Ordinal);
        Assert.Contains("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.0,PART-HOLD-BACK=1.5\n", playlist, StringComparison.Ordinal);
        Assert.Contains("#EXT-X-PART-INF:PART-TARGET=0.5\n", playlist, StringComparison.Ordinal);
        Assert.Contains($"#EXT-X-MEDIA-SEQUENCE:{first}\n", playlist, StringComparison.Ordinal);
        Assert.Contains("#EXT-X-MAP:URI=\"init.mp4\"\n", playlist, StringComparison.Ordinal);
        Assert.Contains($"#EXT-X-PROGRAM-DATE-TIME:2026-12-05T12:00:00.000Z\n", playlist, StringComparison.Ordinal);
        Assert.Contains($"#EXT-X-PROGRAM-DATE-TIME:2026-12-05T12:00:02.000Z\n", playlist, StringComparison.Ordinal);
        Assert.Contains($"#EXTINF:2.0,\nseg{first}.m4s\n", playlist, StringComparison.Ordinal);
        Assert.Contains($"#EXTINF:2.0,\nseg{first + 1}.m4s\n", playlist, StringComparison.Ordinal);
        Assert.DoesNotContain($"seg{first + 2}.m4s", playlist, StringComparison.Ordinal);
        Assert.Equal(8, Regex.Count(playlist, "#EXT-X-PART:DURATION=0.5,"));
        Assert.Contains($"#EXT-X-PART:DURATION=0.5,URI=\"part{first * 100}.m4s\",INDEPENDENT=YES\n", playlist, StringComparison.Ordinal);
        Assert.Contains($"#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part{(first * 100) + 8}.m4s\"\n", playlist, StringComparison.Ordinal);
        Assert.Contains($"#EXT-X-RENDITION-REPORT:URI=\"../72p/index.m3u8\",LAST-MSN={first + 1},LAST-PART=0\n", playlist, StringComparison.Ordinal);
        Assert.DoesNotContain("#EXT-X-ENDLIST", playlist, StringComparison.Ordinal);

        video.End();
        var ended = video.MediaPlaylist(title.Tracks, skip: false);
        Assert.EndsWith($"#EXT-X-ENDLIST\n#EXT-X-RENDITION-REPORT:URI=\"../72p/index.m3u8\",LAST-MSN={first + 1},LAST-PART=0\n", ended, StringComparison.Ordinal);
        Assert.DoesNotContain("PRELOAD-HINT", ended, StringComparison.Ordinal);
        Assert.Contains($"#EXTINF:0.03333,\nseg{first + 2}.m4s\n", ended, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MediaPlaylist_Skip_ReplacesSegmentsBeyondSkipBoundary()
    {
        using var temp = new TempDirectory();
        var source = await LiveSource.VideoAsync(temp.Path, 21);
        using var title = new LiveTitle("ev", new LiveSettings(), new FakeTimeProvider(Start), archive: null);
        var track = title.AddTrack("90p", 300_000, 30);
        source.Start(track);
        source.Feed(track, 0, 20 * 30);

        // 9 complete segments and 2 s of the tenth's parts (20 s): those ending 12 s or more before the end are skipped.
        var full = track.MediaPlaylist([], skip: false);
        var delta = track.MediaPlaylist([], skip: true);
        Assert.Equal(9, Regex.Count(full, "#EXTINF:"));
        Assert.Contains("#EXT-X-SKIP:SKIPPED-SEGMENTS=4\n", delta, StringComparison.Ordinal);
        Assert.Equal(5, Regex.Count(delta, "#EXTINF:"));
        Assert.DoesNotContain($"seg{title.FirstMsn + 3}.m4s", delta, StringComparison.Ordinal);
        Assert.Contains($"seg{title.FirstMsn + 4}.m4s", delta, StringComparison.Ordinal);
        Assert.Contains($"#EXT-X-MEDIA-SEQUENCE:{title.FirstMsn}\n", delta, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddFragment_PastDvrWindow_DropsOldestSegmentsAndTheirParts()
    {
        using var temp = new TempDirectory();
        var source = await LiveSource.VideoAsync(temp.Path, 21);
        using var title = new LiveTitle("ev", new LiveSettings(DvrSeconds: 14), new FakeTimeProvider(Start), archive: null);
        var track = title.AddTrack("90p", 300_000, 30);
        source.Start(track);
        source.Feed(track, 0, source.Fragments.Count);

        var playlist = track.MediaPlaylist([], skip: false);
        var sequence = long.Parse(Regex.Match(playlist, @"#EXT-X-MEDIA-SEQUENCE:(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(title.FirstMsn + 3, sequence);
        Assert.Null(track.Segment(title.FirstMsn + 2));
        Assert.Null(track.Part(title.FirstMsn * 100));
        Assert.NotNull(track.Segment(title.FirstMsn + 3));
    }

    [Fact]
    public async Task ProgramDateTime_AudioAndVideo_ReadFromOneAnchor()
    {
        using var temp = new TempDirectory();
        var video = await LiveSource.VideoAsync(temp.Path, 5);
        var audio = await LiveSource.AudioAsync(temp.Path, 5);
        var time = new FakeTimeProvider(Start);
        using var title = new LiveTitle("ev", new LiveSettings(), time, archive: null);
        var v = title.AddTrack("90p", 300_000, 30);
        var a = title.AddTrack("audio", 64_000);
        video.Start(v);
        audio.Start(a);
        video.Feed(v, 0, 1);
        time.Advance(TimeSpan.FromSeconds(3));
        audio.Feed(a, 0, audio.Fragments.Count);
        video.Feed(v, 1, video.Fragments.Count - 1);
        v.End();
        a.End();

        var audioSegments = a.CompleteSegments();
        Assert.Equal(Start, v.CompleteSegments()[0].ProgramDateTime);
        Assert.Equal(Start, audioSegments[0].ProgramDateTime);

        // Audio segments start on the first fragment at or past each segment boundary.
        Assert.All(audioSegments.Skip(1), s => Assert.InRange(s.ProgramDateTime - Start, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(4.1)));
        Assert.All(audioSegments.SelectMany(s => s.Parts), p => Assert.True(p.Duration <= a.Track!.Timescale / 2));
    }
}
