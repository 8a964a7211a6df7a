using System.Globalization;
using System.Text;
using Edge.Encoder.Publishing;

namespace Edge.Encoder.Live;

/// <summary>
/// A live title: its renditions, one wall clock that every track's program date time is read from, and the archive
/// that becomes the title's VOD when the event ends.
/// </summary>
internal sealed class LiveTitle : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<LiveTrack> _tracks = [];
    private readonly Dictionary<string, List<(long Msn, double Seconds, DateTimeOffset ProgramDateTime)>> _archived = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TitleStaging? _archive;
    private (DateTimeOffset Wall, double Media)? _anchor;
    private bool _published;

    /// <param name="archive">Where every segment is kept for the VOD the title becomes; null keeps only the window.</param>
    public LiveTitle(string id, LiveSettings settings, TimeProvider time, TitleStaging? archive)
    {
        Id = id;
        Settings = settings;
        _time = time;
        _archive = archive;

        // Numbers follow the wall clock, so a title restarted under the same id never reuses one.
        FirstMsn = (long)(time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0 / settings.SegmentSeconds);
    }

    public long FirstMsn { get; }

    public string Id { get; }

    public LiveSettings Settings { get; }

    public IReadOnlyList<LiveTrack> Tracks
    {
        get
        {
            lock (_gate)
            {
                return [.. _tracks];
            }
        }
    }

    public bool Ended => Tracks.All(t => t.Ended);

    public LiveTrack AddTrack(string id, long bandwidth, double frameRate = 0)
    {
        TitleStaging.CheckId(id);
        var track = new LiveTrack(id, bandwidth, Settings, ProgramDateTime, FirstMsn)
        {
            FrameRate = frameRate,
            SegmentCompleted = Archive,
        };
        lock (_gate)
        {
            _tracks.Add(track);
        }

        return track;
    }

    public LiveTrack? Track(string id) => Tracks.FirstOrDefault(t => t.Id == id);

    /// <summary>
    /// The wall-clock time of a media time: the first fragment of any track anchors media time to the clock, and every
    /// track reads from that one anchor, so the renditions' dates agree.
    /// </summary>
    public DateTimeOffset ProgramDateTime(double mediaSeconds)
    {
        lock (_gate)
        {
            _anchor ??= (_time.GetUtcNow(), mediaSeconds);
            return _anchor.Value.Wall.AddSeconds(mediaSeconds - _anchor.Value.Media);
        }
    }

    /// <summary>The multivariant playlist, once every track has its init segment; null before.</summary>
    public string? MultivariantPlaylist()
    {
        var tracks = Tracks;
        if (tracks.Count == 0 || tracks.Any(t => t.Track is null))
        {
            return null;
        }

        var audio = tracks.FirstOrDefault(t => t.Track!.Kind == "audio");
        var builder = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n\n");
        if (audio is not null)
        {
            builder.Append(CultureInfo.InvariantCulture,
                $"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"Main\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"{audio.Track!.Channels}\",URI=\"{audio.Id}/index.m3u8\"\n\n");
        }

        foreach (var video in tracks.Where(t => t.Track!.Kind == "video"))
        {
            var info = video.Track!;
            var codecs = audio is null ? info.Codecs : $"{info.Codecs},{audio.Track!.Codecs}";
            builder.Append(CultureInfo.InvariantCulture,
                $"#EXT-X-STREAM-INF:BANDWIDTH={video.Bandwidth + (audio?.Bandwidth ?? 0)},CODECS=\"{codecs}\",RESOLUTION={info.Width}x{info.Height}");
            if (video.FrameRate > 0)
            {
                builder.Append(CultureInfo.InvariantCulture, $",FRAME-RATE={video.FrameRate:F3}");
            }

            builder.Append(audio is null ? "" : ",AUDIO=\"audio\"").Append(CultureInfo.InvariantCulture, $"\n{video.Id}/index.m3u8\n");
        }

        return builder.ToString();
    }

    /// <summary>
    /// Ends every track (their playlists get <c>EXT-X-ENDLIST</c>) and, with an archive, writes the whole event as a
    /// VOD title under the same URIs and publishes it in one rename.
    /// </summary>
    public void End()
    {
        lock (_gate)
        {
            if (_published)
            {
                return;
            }

            _published = true;
        }

        foreach (var track in Tracks)
        {
            track.End();
        }

        if (_archive is null)
        {
            return;
        }

        var master = MultivariantPlaylist();
        if (master is null)
        {
            return;
        }

        foreach (var track in Tracks)
        {
            File.WriteAllText(Path.Combine(_archive.Path, track.Id, "index.m3u8"), VodPlaylist(track));
        }

        File.WriteAllText(Path.Combine(_archive.Path, "master.m3u8"), master);
        _archive.Publish();
    }

    public void Dispose() => _archive?.Dispose();

    private string VodPlaylist(LiveTrack track)
    {
        List<(long Msn, double Seconds, DateTimeOffset ProgramDateTime)> segments;
        lock (_gate)
        {
            segments = [.. _archived.GetValueOrDefault(track.Id) ?? []];
        }

        var target = Math.Max(Settings.TargetDuration, segments.Count == 0 ? 1 : (int)Math.Round(segments.Max(s => s.Seconds), MidpointRounding.AwayFromZero));
        var builder = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:7\n");
        builder.Append(CultureInfo.InvariantCulture, $"#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:{(segments.Count == 0 ? 0 : segments[0].Msn)}\n#EXT-X-PLAYLIST-TYPE:VOD\n");
        builder.Append("#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"init.mp4\"\n");
        foreach (var (msn, seconds, date) in segments)
        {
            builder.Append(CultureInfo.InvariantCulture, $"#EXT-X-PROGRAM-DATE-TIME:{date.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}\n#EXTINF:{seconds:F5},\nseg{msn}.m4s\n");
        }

        return builder.Append("#EXT-X-ENDLIST\n").ToString();
    }

    private void Archive(LiveTrack track, LiveSegment segment)
    {
        if (_archive is null || track.Track is not { } info)
        {
            return;
        }

        var folder = Path.Combine(_archive.Path, track.Id);
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, "init.mp4"), track.Init!);
        }

        using (var file = new FileStream(Path.Combine(folder, segment.Uri), FileMode.Create, FileAccess.Write))
        {
            file.Write(segment.Bytes.Completed.Span);
        }

        lock (_gate)
        {
            if (!_archived.TryGetValue(track.Id, out var list))
            {
                _archived[track.Id] = list = [];
            }

            list.Add((segment.Msn, (double)segment.Duration / info.Timescale, segment.ProgramDateTime));
        }
    }
}
