using Edge.Load.Http;
using Edge.Load.Reporting;

namespace Edge.Load.Players;

/// <summary>
/// One simulated viewer: fetches the master playlist (through steering), picks a rendition with
/// <see cref="ThroughputAbr"/>, and fetches init and media segments (and the matching audio) at playback pace,
/// keeping a buffer model to count startup time and rebuffers. A failed segment moves the viewer to the next
/// pathway (node), as a content-steering player does.
/// </summary>
internal sealed class PlayerSession(int viewer, PlayerOptions options, HttpClient client, TimeProvider time, RunCounters counters)
{
    private const int MaxAttemptsPerSegment = 3;
    private readonly Dictionary<Uri, MediaPlaylist> _playlists = [];
    private readonly Dictionary<string, int> _nodes = new(StringComparer.Ordinal);
    private readonly RunCounters _own = new();
    private readonly ThroughputAbr _abr = new();
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly string _session = $"{viewer:x8}-{Environment.ProcessId:x8}-load";
    private int _segmentHits;
    private int _segmentRequests;
    private bool _stalled;

    public LatencyRecorder SegmentLatency { get; } = new();

    public async Task<SessionReport> RunAsync(CancellationToken stop)
    {
        var started = time.GetTimestamp();
        double? startupMs = null;
        int segments = 0, rebuffers = 0, switches = 0, failovers = 0;
        long bytes = 0;
        double rebufferSeconds = 0, buffered = 0, bitSeconds = 0, mediaSeconds = 0;
        string? failure = null;
        try
        {
            var (masterText, masterUri) = await GetTextAsync(options.MasterFor(viewer), stop);
            var master = HlsPlaylists.ParseMaster(masterText, masterUri);
            var pathways = master.Pathways;
            var pathway = 0;
            Variant? current = null;
            var index = 0;
            var attempts = 0;
            while (!stop.IsCancellationRequested)
            {
                var variants = master.VariantsOf(pathways[pathway]);
                var variant = variants[Math.Min(_abr.Choose([.. variants.Select(v => v.Bandwidth)]), variants.Count - 1)];
                var before = time.GetTimestamp();
                long got;
                MediaSegment segment;
                try
                {
                    var playlist = await PlaylistAsync(variant.Uri, stop);
                    segment = playlist.Segments[index % playlist.Segments.Count];
                    if (current is null || current.Uri != variant.Uri)
                    {
                        switches += current is not null && current.Bandwidth != variant.Bandwidth ? 1 : 0;
                        if (playlist.Init is { } init)
                        {
                            bytes += await FetchAsync(init, stop);
                        }
                    }

                    current = variant;
                    var segmentStarted = time.GetTimestamp();
                    var next = playlist.Segments[(index + 1) % playlist.Segments.Count];
                    got = await FetchAsync(Cmcd(segment, next, variant.Bandwidth, buffered, startupMs is null, "v"), stop, media: true);
                    _abr.Sample(got, time.GetElapsedTime(segmentStarted));
                    SegmentLatency.Record(time.GetElapsedTime(segmentStarted));
                    if (master.AudioFor(variant) is { } audio)
                    {
                        var audioPlaylist = await PlaylistAsync(audio.Uri, stop);
                        var audioSegment = audioPlaylist.Segments[index % audioPlaylist.Segments.Count];
                        if (index == 0 && audioPlaylist.Init is { } audioInit)
                        {
                            got += await FetchAsync(audioInit, stop);
                        }

                        var nextAudio = audioPlaylist.Segments[(index + 1) % audioPlaylist.Segments.Count];
                        got += await FetchAsync(Cmcd(audioSegment, nextAudio, variant.Bandwidth, buffered, startupMs is null, "a"), stop);
                    }
                }
                catch (SegmentException ex) when (!stop.IsCancellationRequested)
                {
                    _own.Error(ex.Kind);
                    counters.Error(ex.Kind);
                    if (++attempts >= MaxAttemptsPerSegment * Math.Max(1, pathways.Count))
                    {
                        failure = $"segment {index} failed {attempts} times: {ex.Kind}";
                        break;
                    }

                    if (pathways.Count > 1)
                    {
                        pathway = (pathway + 1) % pathways.Count;
                        failovers++;
                        current = null;
                    }

                    continue;
                }

                attempts = 0;
                var spent = time.GetElapsedTime(before).TotalSeconds;
                if (startupMs is not null)
                {
                    buffered -= spent;
                    if (buffered < 0)
                    {
                        _stalled = true;
                        rebuffers++;
                        rebufferSeconds += -buffered;
                        buffered = 0;
                    }
                }

                buffered += segment.Duration;
                bytes += got;
                segments++;
                bitSeconds += variant.Bandwidth * segment.Duration;
                mediaSeconds += segment.Duration;
                index++;
                startupMs ??= Math.Round(time.GetElapsedTime(started).TotalMilliseconds, 3);

                // Playback pace: past the buffer goal, wait while the buffer drains.
                var ahead = buffered - options.BufferGoal.TotalSeconds;
                if (ahead > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(ahead), time, stop);
                    buffered -= ahead;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is SegmentException or FormatException)
        {
            failure = ex is SegmentException segment ? $"master playlist: {segment.Kind}" : ex.Message;
            _own.Error("master_playlist");
            counters.Error("master_playlist");
        }

        return new SessionReport(
            viewer,
            startupMs,
            segments,
            bytes,
            SegmentLatency.Summarize(),
            _segmentRequests,
            _segmentHits,
            rebuffers,
            Math.Round(rebufferSeconds, 3),
            mediaSeconds > 0 ? Math.Round(bitSeconds / mediaSeconds / 1000, 1) : 0,
            switches,
            failovers,
            new SortedDictionary<string, int>(_nodes, StringComparer.Ordinal),
            _own.Errors,
            failure);
    }

    private async Task<MediaPlaylist> PlaylistAsync(Uri uri, CancellationToken stop)
    {
        if (!_playlists.TryGetValue(uri, out var playlist))
        {
            var (text, final) = await GetTextAsync(uri, stop);
            try
            {
                _playlists[uri] = playlist = HlsPlaylists.ParseMedia(text, final);
            }
            catch (FormatException)
            {
                throw new SegmentException("bad_playlist");
            }
        }

        return playlist;
    }

    private async Task<(string Text, Uri Final)> GetTextAsync(Uri uri, CancellationToken stop)
    {
        using var timeout = new CancellationTokenSource(options.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
        try
        {
            using var response = await client.GetAsync(uri, linked.Token);
            var text = await response.Content.ReadAsStringAsync(linked.Token);
            counters.Completed((int)response.StatusCode, text.Length);
            if (!response.IsSuccessStatusCode)
            {
                throw new SegmentException("http_" + (int)response.StatusCode);
            }

            return (text, response.RequestMessage?.RequestUri ?? uri);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            throw new SegmentException(ErrorKinds.Timeout);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new SegmentException(ErrorKinds.Of(ex));
        }
    }

    /// <summary>
    /// <paramref name="segment"/>'s URL, with CMCD in its query when the run sends it (CTA-5004, as hls.js encodes
    /// it): the next segment relative to this one, and a rebuffer since the last request.
    /// </summary>
    private Uri Cmcd(MediaSegment segment, MediaSegment next, long bandwidth, double buffered, bool startup, string objectType)
    {
        if (!options.Cmcd)
        {
            return segment.Uri;
        }

        var nor = Uri.UnescapeDataString(segment.Uri.MakeRelativeUri(next.Uri).ToString());
        var data = new List<string>
        {
            Invariant($"bl={(long)Math.Round(Math.Max(buffered, 0) * 10) * 100}"),
            Invariant($"br={bandwidth / 1000}"),
        };
        if (_stalled)
        {
            data.Add("bs");
            _stalled = false;
        }

        data.Add(Invariant($"d={(long)Math.Round(segment.Duration * 1000)}"));
        if (_abr.EstimateBitsPerSecond is { } estimate)
        {
            data.Add(Invariant($"mtp={(long)(estimate / 1000 / 100) * 100}"));
        }

        data.Add($"nor=\"{nor}\"");
        data.Add("ot=" + objectType);
        data.Add("sf=h");
        data.Add($"sid=\"{_session}\"");
        data.Add("st=v");
        if (startup)
        {
            data.Add("su");
        }

        var builder = new UriBuilder(segment.Uri);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length > 0 ? query + "&" : "") + "CMCD=" + Uri.EscapeDataString(string.Join(',', data));
        return builder.Uri;
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    private async Task<long> FetchAsync(Uri uri, CancellationToken stop, bool media = false)
    {
        using var timeout = new CancellationTokenSource(options.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
        try
        {
            using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var bytes = await ResponseBody.DrainAsync(response, _buffer, linked.Token);
            counters.Completed((int)response.StatusCode, bytes);
            if (!response.IsSuccessStatusCode)
            {
                throw new SegmentException("http_" + (int)response.StatusCode);
            }

            if (response.Headers.TryGetValues("Cache-Status", out var status) && status.LastOrDefault() is { } last)
            {
                var node = last.Split(';', 2)[0].Trim();
                _nodes[node] = _nodes.GetValueOrDefault(node) + 1;

                // The last entry is the node that answered (RFC 9211): a hit there, or from its memory.
                if (media && last.Split(';').Skip(1).Any(p => p.Trim() == "hit"))
                {
                    _segmentHits++;
                }
            }

            _segmentRequests += media ? 1 : 0;

            return bytes;
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            throw new SegmentException(ErrorKinds.Timeout);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new SegmentException(ErrorKinds.Of(ex));
        }
    }
}

/// <summary>A request of a session that failed, by kind.</summary>
internal sealed class SegmentException(string kind) : Exception(kind)
{
    public string Kind { get; } = kind;
}
