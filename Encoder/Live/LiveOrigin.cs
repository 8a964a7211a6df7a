using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Edge.Encoder.Live;

/// <summary>The live titles an origin is serving, by id.</summary>
internal sealed class LiveRegistry
{
    private readonly ConcurrentDictionary<string, LiveTitle> _titles = new(StringComparer.Ordinal);

    public void Add(LiveTitle title)
    {
        if (!_titles.TryAdd(title.Id, title))
        {
            throw new InvalidOperationException($"live title '{title.Id}' is already running");
        }
    }

    public void Remove(LiveTitle title) => _titles.TryRemove(new KeyValuePair<string, LiveTitle>(title.Id, title));

    public LiveTitle? Find(string id) => _titles.GetValueOrDefault(id);
}

/// <summary>
/// Answers requests for live titles as a Low-Latency HLS origin: blocking playlist reloads (<c>_HLS_msn</c>,
/// <c>_HLS_part</c>), delta updates (<c>_HLS_skip</c>), and parts and segments sent while they are written, a
/// request for the hinted next one held until it starts.
/// </summary>
internal sealed class LiveOrigin(LiveRegistry registry, TimeProvider time)
{
    /// <summary>Parts and segments never change: their numbers follow the wall clock and are never reused.</summary>
    public const string MediaCacheControl = "public, max-age=31536000, immutable";

    public const string PlaylistContentType = "application/vnd.apple.mpegurl";

    /// <summary>Handles the request when its first path segment is a live title; false to leave it to the next handler.</summary>
    public async Task<bool> TryHandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var slash = path.IndexOf('/', 1);
        if (slash < 0 || registry.Find(path[1..slash]) is not { } title)
        {
            return false;
        }

        var response = context.Response;
        response.Headers.AccessControlAllowOrigin = "*";
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "GET, HEAD";
            return true;
        }

        var rest = path[(slash + 1)..];
        var cancel = context.RequestAborted;
        if (rest == "master.m3u8")
        {
            await MasterAsync(context, title, cancel);
            return true;
        }

        if (rest == "manifest.mpd")
        {
            await MpdAsync(context, title, cancel);
            return true;
        }

        if (rest == "time")
        {
            // The clock low-latency DASH players set theirs by (UTCTiming): never cached.
            response.ContentType = "text/plain";
            response.Headers.CacheControl = "no-store";
            await WriteTextAsync(context, time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture), cancel);
            return true;
        }

        var parts = rest.Split('/');
        if (parts.Length != 2 || title.Track(parts[0]) is not { } track)
        {
            NotFound(response);
            return true;
        }

        switch (parts[1])
        {
            case "index.m3u8":
                await PlaylistAsync(context, title, track, cancel);
                break;
            case "init.mp4":
                if (!await HoldAsync(title, track, () => track.Init is not null, cancel))
                {
                    Unavailable(response, title);
                    break;
                }

                response.ContentType = "video/mp4";
                response.Headers.CacheControl = "public, max-age=60";
                response.ContentLength = track.Init!.Length;
                if (!HttpMethods.IsHead(context.Request.Method))
                {
                    await response.Body.WriteAsync(track.Init, cancel);
                }

                break;
            case var name when Number(name, "part", out var number):
                await PartAsync(context, title, track, number, cancel);
                break;
            case var name when Number(name, "seg", out var msn):
                await SegmentAsync(context, title, track, msn, cancel);
                break;
            default:
                NotFound(response);
                break;
        }

        return true;
    }

    private async Task MasterAsync(HttpContext context, LiveTitle title, CancellationToken cancel)
    {
        string? master = null;
        if (!await HoldAsync(title, null, () => (master = title.MultivariantPlaylist()) is not null, cancel))
        {
            Unavailable(context.Response, title);
            return;
        }

        context.Response.ContentType = PlaylistContentType;
        context.Response.Headers.CacheControl = "public, max-age=60";
        await WriteTextAsync(context, master!, cancel);
    }

    private async Task MpdAsync(HttpContext context, LiveTitle title, CancellationToken cancel)
    {
        if (!await HoldAsync(title, null, () => title.Tracks.All(t => t.FirstStart is not null), cancel))
        {
            Unavailable(context.Response, title);
            return;
        }

        var request = context.Request;
        var timeUrl = $"{request.Scheme}://{request.Host}/{title.Id}/time";
        context.Response.ContentType = "application/dash+xml";
        context.Response.Headers.CacheControl = title.Ended ? "public, max-age=60" : $"public, max-age={Math.Max(1, (int)title.Settings.PartSeconds)}";
        await WriteTextAsync(context, LiveDash.Write(title, time.GetUtcNow(), timeUrl), cancel);
    }

    // RFC 8216bis 6.2.5.2: hold until the playlist holds segment M (or part P of it, or later), refuse what is too
    // far ahead, and answer 503 if it does not come within three target durations.
    private async Task PlaylistAsync(HttpContext context, LiveTitle title, LiveTrack track, CancellationToken cancel)
    {
        var query = context.Request.Query;
        var response = context.Response;
        long? msn = null;
        int? part = null;
        if (query.TryGetValue("_HLS_msn", out var msnText))
        {
            if (!long.TryParse(Single(msnText), NumberStyles.None, CultureInfo.InvariantCulture, out var m))
            {
                await BadRequestAsync(response, "_HLS_msn must be a media sequence number");
                return;
            }

            msn = m;
        }

        if (query.TryGetValue("_HLS_part", out var partText))
        {
            if (msn is null)
            {
                await BadRequestAsync(response, "_HLS_part needs _HLS_msn");
                return;
            }

            if (!int.TryParse(Single(partText), NumberStyles.None, CultureInfo.InvariantCulture, out var p))
            {
                await BadRequestAsync(response, "_HLS_part must be a part index");
                return;
            }

            part = p;
        }

        var skip = false;
        if (query.TryGetValue("_HLS_skip", out var skipText))
        {
            var value = Single(skipText);
            if (value is not ("YES" or "v2"))
            {
                await BadRequestAsync(response, "_HLS_skip must be YES or v2");
                return;
            }

            skip = true;
        }

        if (!await HoldAsync(title, track, () => track.Track is not null, cancel))
        {
            Unavailable(response, title);
            return;
        }

        if (msn is { } wanted && !track.Ended)
        {
            var lastMsn = track.LastMsn;
            var edge = track.LastPart;
            if (wanted > lastMsn + 2
                || (part is { } p && edge is { } e && wanted == e.Msn && p > e.Part + title.Settings.AdvancePartLimit))
            {
                await BadRequestAsync(response, "the requested segment or part is too far beyond the live edge");
                return;
            }

            if (!await HoldAsync(title, track, () => Reached(track, wanted, part), cancel))
            {
                Unavailable(response, title);
                return;
            }
        }

        response.ContentType = PlaylistContentType;
        response.Headers.CacheControl = track.Ended ? "public, max-age=60"
            : msn is not null ? $"public, max-age={6 * title.Settings.TargetDuration}"
            : $"public, max-age={Math.Max(1, (int)title.Settings.PartSeconds)}";
        await WriteTextAsync(context, track.MediaPlaylist(title.Tracks, skip), cancel);
    }

    private static bool Reached(LiveTrack track, long msn, int? part)
    {
        if (track.Ended)
        {
            return true;
        }

        if (part is null)
        {
            return track.LastCompleteMsn >= msn;
        }

        // A part index past the end of segment M is the next segment's first part: any part of a later segment will do.
        return track.LastPart is { } edge && (edge.Msn > msn || (edge.Msn == msn && edge.Part >= part));
    }

    private async Task PartAsync(HttpContext context, LiveTitle title, LiveTrack track, long number, CancellationToken cancel)
    {
        var next = track.NextPartNumber;
        if (track.Part(number) is null)
        {
            // Only the hinted part (and the few after it a player may ask for early) is worth holding.
            if (track.Ended || number < next || number >= next + title.Settings.AdvancePartLimit)
            {
                NotFound(context.Response);
                return;
            }

            if (!await HoldAsync(title, track, () => track.Part(number) is not null || track.Ended, cancel) || track.Part(number) is null)
            {
                Unavailable(context.Response, title);
                return;
            }
        }

        await SendAsync(context, track.Part(number)!.Bytes, cancel);
    }

    private async Task SegmentAsync(HttpContext context, LiveTitle title, LiveTrack track, long msn, CancellationToken cancel)
    {
        if (track.Segment(msn) is null)
        {
            // The segment being written next may be asked for early (low-latency DASH): hold it until it starts.
            var next = track.NextMsn;
            if (track.Ended || msn < next || msn > next + 1)
            {
                NotFound(context.Response);
                return;
            }

            if (!await HoldAsync(title, track, () => track.Segment(msn) is not null || track.Ended, cancel) || track.Segment(msn) is null)
            {
                Unavailable(context.Response, title);
                return;
            }
        }

        await SendAsync(context, track.Segment(msn)!.Bytes, cancel);
    }

    // A complete object goes out with its length; one still being written goes out chunked as it grows, and is cut
    // (the connection reset, not a clean end) if the encoder stops before finishing it.
    private static async Task SendAsync(HttpContext context, GrowingBuffer bytes, CancellationToken cancel)
    {
        var response = context.Response;
        response.ContentType = "video/iso.segment";
        response.Headers.CacheControl = MediaCacheControl;
        if (bytes.IsComplete)
        {
            response.ContentLength = bytes.Length;
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        await bytes.CopyToAsync(async (chunk, token) =>
        {
            await response.Body.WriteAsync(chunk, token);
            await response.Body.FlushAsync(token);
        }, cancel);
    }

    private async Task<bool> HoldAsync(LiveTitle title, LiveTrack? track, Func<bool> ready, CancellationToken cancel)
    {
        var deadline = time.GetTimestamp() + (long)(title.Settings.HoldTimeout.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            // Take the change signal before testing, so a change between the two is never missed.
            var changed = track?.Changed ?? Task.WhenAny(title.Tracks.Select(t => t.Changed));
            if (ready())
            {
                return true;
            }

            var now = time.GetTimestamp();
            if (now >= deadline)
            {
                return false;
            }

            try
            {
                await changed.WaitAsync(time.GetElapsedTime(now, deadline), time, cancel);
            }
            catch (TimeoutException)
            {
                return ready();
            }
        }
    }

    private static bool Number(string name, string prefix, out long number)
    {
        number = 0;
        return name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".m4s", StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(prefix.Length, name.Length - prefix.Length - 4), NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }

    private static string? Single(StringValues values) => values.Count == 1 ? values[0] : null;

    private static Task WriteTextAsync(HttpContext context, string text, CancellationToken cancel)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        context.Response.ContentLength = bytes.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.Body.WriteAsync(bytes, cancel).AsTask();
    }

    private static void NotFound(HttpResponse response)
    {
        // Not there yet may be there in a moment: a cache may share this answer, but not keep it.
        response.StatusCode = StatusCodes.Status404NotFound;
        response.Headers.CacheControl = "public, max-age=0";
    }

    private static Task BadRequestAsync(HttpResponse response, string why)
    {
        response.StatusCode = StatusCodes.Status400BadRequest;
        response.Headers.CacheControl = "no-store";
        response.ContentType = "text/plain";
        return response.WriteAsync(why + "\n");
    }

    private static void Unavailable(HttpResponse response, LiveTitle title)
    {
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.CacheControl = "no-store";
        response.Headers.RetryAfter = title.Settings.TargetDuration.ToString(CultureInfo.InvariantCulture);
    }
}
