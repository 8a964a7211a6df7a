using System.Globalization;
using System.Text;
using Edge.Encoder.Packaging;

namespace Edge.Encoder.Live;

/// <summary>A partial segment: one or more CMAF fragments, at most a part target long.</summary>
internal sealed class LivePart(long number, long msn, int index, bool independent)
{
    /// <summary>Sequence number across the whole track: the part's URI, so a preload hint never has to guess its segment.</summary>
    public long Number { get; } = number;

    public long Msn { get; } = msn;

    /// <summary>Index within its segment, as <c>_HLS_part</c> counts.</summary>
    public int Index { get; } = index;

    public bool Independent { get; } = independent;

    public ulong Duration { get; set; }

    public bool Complete { get; set; }

    public GrowingBuffer Bytes { get; } = new();

    public string Uri => $"part{Number}.m4s";
}

/// <summary>A media segment: its parts, concatenated, as one CMAF segment.</summary>
internal sealed class LiveSegment(long msn, ulong start, DateTimeOffset programDateTime)
{
    public long Msn { get; } = msn;

    public ulong Start { get; } = start;

    public DateTimeOffset ProgramDateTime { get; } = programDateTime;

    public List<LivePart> Parts { get; } = [];

    public ulong Duration { get; set; }

    public bool Complete { get; set; }

    public GrowingBuffer Bytes { get; } = new(256 * 1024);

    public string Uri => $"seg{Msn}.m4s";
}

/// <summary>Where a track's live edge is: its newest complete part.</summary>
internal readonly record struct LiveEdge(long Msn, int Part);

/// <summary>
/// One rendition of a live title as the encoder writes it: CMAF fragments grouped into parts of at most the part
/// target and segments that start on a key frame, a sliding window of them, and its Low-Latency HLS playlist.
/// </summary>
internal sealed class LiveTrack
{
    private readonly Lock _gate = new();
    private readonly LiveSettings _settings;
    private readonly Func<double, DateTimeOffset> _programDateTime;
    private readonly List<LiveSegment> _segments = [];
    private readonly Dictionary<long, LivePart> _parts = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LiveSegment? _open;
    private LivePart? _openPart;
    private long _nextMsn;
    private long _nextPart;
    private uint _trexFlags;
    private bool _ended;
    private List<LiveSegment>? _completed;

    /// <param name="id">The rendition's folder in the title, e.g. <c>720p</c>.</param>
    /// <param name="programDateTime">Wall-clock time of a media time in seconds, shared by the title's tracks.</param>
    /// <param name="firstMsn">
    /// The first segment's media sequence number. A title started again continues from a larger one, so a cache never
    /// holds an old part under a new part's URI; parts are numbered from a hundred times it (a segment has fewer).
    /// </param>
    public LiveTrack(string id, long bandwidth, LiveSettings settings, Func<double, DateTimeOffset> programDateTime, long firstMsn = 0)
    {
        _nextMsn = firstMsn;
        _nextPart = firstMsn * 100;
        Id = id;
        Bandwidth = bandwidth;
        _settings = settings;
        _programDateTime = programDateTime;
    }

    public string Id { get; }

    /// <summary>Peak bits per second the encoder was asked for: a live multivariant playlist's <c>BANDWIDTH</c>.</summary>
    public long Bandwidth { get; }

    /// <summary>Frames per second the encoder was asked for; 0 for audio.</summary>
    public double FrameRate { get; init; }

    public TrackInfo? Track { get; private set; }

    /// <summary>Media time (track ticks) the first segment started at; kept after the window moves past it.</summary>
    public ulong? FirstStart { get; private set; }

    public byte[]? Init { get; private set; }

    public bool Ended
    {
        get
        {
            lock (_gate)
            {
                return _ended;
            }
        }
    }

    /// <summary>Completes when anything changes: an init, a part begun or finished, a segment, the end.</summary>
    public Task Changed
    {
        get
        {
            lock (_gate)
            {
                return _changed.Task;
            }
        }
    }

    public void SetInit(byte[] init, TrackInfo track, uint trexFlags)
    {
        lock (_gate)
        {
            Init = init;
            Track = track;
            _trexFlags = trexFlags;
        }

        Signal();
    }

    public uint TrexFlags => _trexFlags;

    /// <summary>Called, outside the track's lock, with each segment once it is complete.</summary>
    public Action<LiveTrack, LiveSegment>? SegmentCompleted { get; init; }

    /// <summary>Adds one whole CMAF fragment (its <c>moof</c> and <c>mdat</c>), starting a part or segment where due.</summary>
    public void AddFragment(Segmenter.Fragment fragment, ReadOnlySpan<byte> moof, ReadOnlySpan<byte> mdat)
    {
        lock (_gate)
        {
            var track = Track ?? throw new InvalidDataException($"{Id}: a fragment came before the init segment");
            if (_ended)
            {
                throw new InvalidOperationException($"{Id}: the track has ended");
            }

            var segmentTicks = (ulong)Math.Round(_settings.SegmentSeconds * track.Timescale);
            var partTicks = (ulong)Math.Round(_settings.PartSeconds * track.Timescale);
            if (_open is null || (fragment.StartsWithSync && fragment.Start >= _open.Start + segmentTicks - (fragment.Duration / 2)))
            {
                CloseSegment(fragment.Start);
                FirstStart ??= fragment.Start;
                _open = new LiveSegment(_nextMsn++, fragment.Start, _programDateTime((double)fragment.Start / track.Timescale));
                _segments.Add(_open);
                Trim(track.Timescale);
            }

            if (_openPart is not null && _openPart.Duration + fragment.Duration > partTicks)
            {
                ClosePart();
            }

            if (_openPart is null)
            {
                _openPart = new LivePart(_nextPart++, _open.Msn, _open.Parts.Count, fragment.StartsWithSync);
                _open.Parts.Add(_openPart);
                _parts[_openPart.Number] = _openPart;
            }

            _openPart.Bytes.Append(moof);
            _openPart.Bytes.Append(mdat);
            _open.Bytes.Append(moof);
            _open.Bytes.Append(mdat);
            _openPart.Duration += fragment.Duration;
            _open.Duration += fragment.Duration;

            // A part closes as soon as a fragment as long as this one would no longer fit, not when the next arrives.
            if (_openPart.Duration + fragment.Duration > partTicks)
            {
                ClosePart();
            }
        }

        Signal();
    }

    /// <summary>
    /// The source ended, or broke: the open part and segment are complete with what they hold (fragments are added
    /// whole, so that is always whole media), and the playlist ends.
    /// </summary>
    public void End()
    {
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            if (_open is not null)
            {
                CloseSegment(_open.Start + _open.Duration);
            }

            _ended = true;
        }

        Signal();
    }

    /// <summary>The newest complete part, or null before the first.</summary>
    public LiveEdge? LastPart
    {
        get
        {
            lock (_gate)
            {
                return LastPartLocked();
            }
        }
    }

    /// <summary>Media sequence number of the newest segment with anything in it, or -1.</summary>
    public long LastMsn
    {
        get
        {
            lock (_gate)
            {
                return _segments.Count == 0 ? -1 : _segments[^1].Msn;
            }
        }
    }

    /// <summary>The newest complete segment's number, or -1.</summary>
    public long LastCompleteMsn
    {
        get
        {
            lock (_gate)
            {
                for (var i = _segments.Count - 1; i >= 0; i--)
                {
                    if (_segments[i].Complete)
                    {
                        return _segments[i].Msn;
                    }
                }

                return -1;
            }
        }
    }

    /// <summary>Sequence number the next part will have: what the preload hint names.</summary>
    public long NextPartNumber
    {
        get
        {
            lock (_gate)
            {
                return _openPart?.Number ?? _nextPart;
            }
        }
    }

    public long NextMsn
    {
        get
        {
            lock (_gate)
            {
                return _open?.Msn ?? _nextMsn;
            }
        }
    }

    public LivePart? Part(long number)
    {
        lock (_gate)
        {
            return _parts.GetValueOrDefault(number);
        }
    }

    public LiveSegment? Segment(long msn)
    {
        lock (_gate)
        {
            if (_segments.Count == 0 || msn < _segments[0].Msn || msn > _segments[^1].Msn)
            {
                return null;
            }

            return _segments[(int)(msn - _segments[0].Msn)];
        }
    }

    /// <summary>Every complete segment in the window, oldest first.</summary>
    public IReadOnlyList<LiveSegment> CompleteSegments()
    {
        lock (_gate)
        {
            return _segments.Where(s => s.Complete).ToList();
        }
    }

    /// <summary>
    /// The Low-Latency HLS media playlist as it stands. With <paramref name="skip"/>, segments more than
    /// <c>CAN-SKIP-UNTIL</c> from the end are replaced by <c>EXT-X-SKIP</c> (a delta update).
    /// </summary>
    public string MediaPlaylist(IEnumerable<LiveTrack> others, bool skip)
    {
        var reports = others.Where(o => !ReferenceEquals(o, this)).Select(o => (o.Id, Edge: o.LastPart)).ToList();
        lock (_gate)
        {
            var track = Track ?? throw new InvalidOperationException($"{Id} has no init segment yet");
            var timescale = (double)track.Timescale;
            var target = _settings.TargetDuration;
            var builder = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:9\n");
            builder.Append(CultureInfo.InvariantCulture, $"#EXT-X-TARGETDURATION:{target}\n");
            builder.Append(CultureInfo.InvariantCulture,
                $"#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL={Seconds(_settings.SkipUntilSeconds)},PART-HOLD-BACK={Seconds(_settings.PartHoldBackSeconds)}\n");
            builder.Append(CultureInfo.InvariantCulture, $"#EXT-X-PART-INF:PART-TARGET={Seconds(_settings.PartSeconds)}\n");
            builder.Append(CultureInfo.InvariantCulture, $"#EXT-X-MEDIA-SEQUENCE:{(_segments.Count == 0 ? _nextMsn : _segments[0].Msn)}\n");
            builder.Append("#EXT-X-MAP:URI=\"init.mp4\"\n");

            var end = _segments.Count == 0 ? 0 : (_segments[^1].Start + _segments[^1].Duration) / timescale;
            var skipped = 0;
            if (skip)
            {
                while (skipped < _segments.Count && _segments[skipped].Complete
                       && end - ((_segments[skipped].Start + _segments[skipped].Duration) / timescale) >= _settings.SkipUntilSeconds)
                {
                    skipped++;
                }

                if (skipped > 0)
                {
                    builder.Append(CultureInfo.InvariantCulture, $"#EXT-X-SKIP:SKIPPED-SEGMENTS={skipped}\n");
                }
            }

            for (var i = skipped; i < _segments.Count; i++)
            {
                var segment = _segments[i];
                builder.Append(CultureInfo.InvariantCulture, $"#EXT-X-PROGRAM-DATE-TIME:{segment.ProgramDateTime.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}\n");

                // Parts are listed for segments that start within three target durations of the end, where a player
                // at the live edge needs them, and no further back (RFC 8216bis 4.4.4.9).
                if (end - (segment.Start / timescale) <= 3 * target)
                {
                    foreach (var part in segment.Parts)
                    {
                        if (part.Complete)
                        {
                            builder.Append(CultureInfo.InvariantCulture, $"#EXT-X-PART:DURATION={Seconds(part.Duration / timescale)},URI=\"{part.Uri}\"");
                            builder.Append(part.Independent ? ",INDEPENDENT=YES\n" : "\n");
                        }
                    }
                }

                if (segment.Complete)
                {
                    builder.Append(CultureInfo.InvariantCulture, $"#EXTINF:{Seconds(segment.Duration / timescale)},\n{segment.Uri}\n");
                }
            }

            if (_ended)
            {
                builder.Append("#EXT-X-ENDLIST\n");
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part{_openPart?.Number ?? _nextPart}.m4s\"\n");
            }

            foreach (var (id, edge) in reports)
            {
                if (edge is { } last)
                {
                    builder.Append(CultureInfo.InvariantCulture, $"#EXT-X-RENDITION-REPORT:URI=\"../{id}/index.m3u8\",LAST-MSN={last.Msn},LAST-PART={last.Part}\n");
                }
            }

            return builder.ToString();
        }
    }

    private LiveEdge? LastPartLocked()
    {
        for (var i = _segments.Count - 1; i >= 0; i--)
        {
            var parts = _segments[i].Parts;
            for (var j = parts.Count - 1; j >= 0; j--)
            {
                if (parts[j].Complete)
                {
                    return new LiveEdge(_segments[i].Msn, parts[j].Index);
                }
            }
        }

        return null;
    }

    private void ClosePart()
    {
        if (_openPart is null)
        {
            return;
        }

        _openPart.Complete = true;
        _openPart.Bytes.Complete();
        _openPart = null;
    }

    private void CloseSegment(ulong next)
    {
        ClosePart();
        if (_open is null)
        {
            return;
        }

        _open.Duration = next - _open.Start;
        _open.Complete = true;
        _open.Bytes.Complete();
        (_completed ??= []).Add(_open);
        _open = null;
    }

    // The window keeps DvrSeconds of complete segments behind the one being written.
    private void Trim(uint timescale)
    {
        var end = _segments[^1].Start;
        var keep = (ulong)Math.Round(_settings.DvrSeconds * timescale);
        while (_segments.Count > 1 && _segments[0].Complete && end - _segments[0].Start > keep)
        {
            foreach (var part in _segments[0].Parts)
            {
                _parts.Remove(part.Number);
            }

            _segments.RemoveAt(0);
        }
    }

    private void Signal()
    {
        TaskCompletionSource changed;
        List<LiveSegment>? completed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (completed, _completed) = (_completed, null);
        }

        changed.TrySetResult();
        if (completed is not null && SegmentCompleted is { } callback)
        {
            foreach (var segment in completed)
            {
                callback(this, segment);
            }
        }
    }

    private static string Seconds(double seconds) => seconds.ToString("0.0####", CultureInfo.InvariantCulture);
}
