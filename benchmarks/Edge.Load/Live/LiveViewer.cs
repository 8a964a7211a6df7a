using Edge.Load.Http;
using Edge.Load.Reporting;

namespace Edge.Load.Live;

/// <summary>
/// One low-latency HLS viewer: joins at the live edge, then asks for each next part with a blocking playlist reload
/// (<c>_HLS_msn</c>, <c>_HLS_part</c>, <c>_HLS_skip</c>, as hls.js does) and fetches every part the answer lists.
/// </summary>
internal sealed class LiveViewer(LiveOptions options, HttpClient client, TimeProvider time, RunCounters counters)
{
    private readonly byte[] _buffer = new byte[64 * 1024];

    public LatencyRecorder Reloads { get; } = new();

    public LatencyRecorder PartFetches { get; } = new();

    /// <summary>From the end of a part on the program clock (when the encoder finished it) to the viewer having it.</summary>
    public LatencyRecorder BehindLive { get; } = new();

    public string? Failure { get; private set; }

    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            var playlist = LivePlaylist.Parse(await GetTextAsync(options.Playlist, Reloads, stop), options.Playlist);
            if (playlist.Init is { } init)
            {
                await FetchAsync(init, null, stop);
            }

            // Join at the newest part, as a player at the live edge does; a playlist with none yet (the event has
            // just begun) is waited on for the first part of its next segment.
            var last = playlist.Last ?? new LivePart(playlist.NextMsn, -1, options.Playlist, null);
            if (last.Index >= 0)
            {
                await FetchAsync(last.Uri, last, stop);
            }

            while (!stop.IsCancellationRequested && !playlist.Ended)
            {
                var next = new Uri(options.Playlist, $"{options.Playlist.AbsolutePath}?_HLS_msn={last.Msn}&_HLS_part={last.Index + 1}&_HLS_skip=YES");
                playlist = LivePlaylist.Parse(await GetTextAsync(next, Reloads, stop), options.Playlist);
                foreach (var part in playlist.Parts.Where(p => p.Msn > last.Msn || (p.Msn == last.Msn && p.Index > last.Index)))
                {
                    await FetchAsync(part.Uri, part, stop);
                    last = part;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run's hard stop.
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException or OperationCanceledException or FormatException)
        {
            Failure = ex is OperationCanceledException ? ErrorKinds.Timeout : ex.Message;
            counters.Error(ex is OperationCanceledException ? ErrorKinds.Timeout : ErrorKinds.Of(ex));
        }
    }

    private async Task<string> GetTextAsync(Uri uri, LatencyRecorder latency, CancellationToken stop)
    {
        using var timeout = new CancellationTokenSource(options.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
        var started = time.GetTimestamp();
        using var response = await client.GetAsync(uri, linked.Token);
        var text = await response.Content.ReadAsStringAsync(linked.Token);
        counters.Completed((int)response.StatusCode, text.Length);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{uri.PathAndQuery}: {(int)response.StatusCode}");
        }

        latency.Record(time.GetElapsedTime(started));
        return text;
    }

    private async Task FetchAsync(Uri uri, LivePart? part, CancellationToken stop)
    {
        using var timeout = new CancellationTokenSource(options.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
        var started = time.GetTimestamp();
        using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, linked.Token);
        var bytes = await ResponseBody.DrainAsync(response, _buffer, linked.Token);
        counters.Completed((int)response.StatusCode, bytes);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{uri.PathAndQuery}: {(int)response.StatusCode}");
        }

        if (part is not null)
        {
            PartFetches.Record(time.GetElapsedTime(started));
            if (part.Ends is { } ends)
            {
                // A part can arrive a frame before its nominal end: the clock is anchored on the first frame's arrival.
                var behind = time.GetUtcNow() - ends;
                BehindLive.Record(behind > TimeSpan.Zero ? behind : TimeSpan.Zero);
            }
        }
    }
}
