using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Metrics;
using Edge.EdgeServer.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Origin;

/// <summary>
/// Fills misses from the origin. Concurrent requests for one missing object share one fetch
/// (request collapsing); the body is streamed to every waiting client while it is written to a
/// temporary file, which is published to the cache only once it is whole.
/// </summary>
internal sealed partial class FillCoordinator : IDisposable
{
    // 64 KiB matches the socket receive sizes seen from Kestrel and SocketsHttpHandler on loopback.
    private const int BufferSize = 64 * 1024;
    private const int MaxPassthroughBody = 64 * 1024;

    private readonly ConcurrentDictionary<UInt128, OriginFill> _fills = new();
    private readonly DiskCache _cache;
    private readonly OriginClient _origin;
    private readonly EdgeMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<FillCoordinator> _logger;
    private readonly EdgeOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _originSlots;

    public FillCoordinator(
        DiskCache cache,
        OriginClient origin,
        EdgeMetrics metrics,
        TimeProvider time,
        IOptions<EdgeOptions> options,
        IHostApplicationLifetime lifetime,
        ILogger<FillCoordinator> logger)
    {
        _cache = cache;
        _origin = origin;
        _metrics = metrics;
        _time = time;
        _options = options.Value;
        _logger = logger;
        _originSlots = new SemaphoreSlim(_options.OriginMaxConcurrentFills, _options.OriginMaxConcurrentFills);
        lifetime.ApplicationStopped.Register(_stopping.Cancel);
    }

    /// <summary>
    /// Joins the running fill of <paramref name="key"/> or starts one; the caller must
    /// <see cref="OriginFill.Leave"/> it. Returns null when a fill finished meanwhile, so the caller
    /// looks in the cache again.
    /// </summary>
    public OriginFill? GetOrStart(UInt128 hash, string key, out bool started, ObjectMetadata? stale = null, bool admit = true)
    {
        started = false;
        if (_fills.TryGetValue(hash, out var existing))
        {
            return existing.TryJoin() ? existing : null;
        }

        var fill = new OriginFill(hash, key, stale, admit);
        var actual = _fills.GetOrAdd(hash, fill);
        if (!ReferenceEquals(actual, fill))
        {
            return actual.TryJoin() ? actual : null;
        }

        // A fill may have published and left between the caller's cache lookup and here.
        if (stale is null && _cache.Contains(hash))
        {
            _fills.TryRemove(new KeyValuePair<UInt128, OriginFill>(hash, fill));
            return null;
        }

        started = true;
        fill.TryJoin();
        _ = RunAsync(fill, shared: true);
        return fill;
    }

    /// <summary>
    /// Revalidates a stale copy in the background (stale-while-revalidate): at most one revalidation per object runs,
    /// and nobody waits for it.
    /// </summary>
    /// <summary>The fill of <paramref name="hash"/> in progress, if any.</summary>
    public OriginFill? Running(UInt128 hash) => _fills.GetValueOrDefault(hash);

    public void RevalidateInBackground(UInt128 hash, ObjectMetadata stale)
    {
        if (GetOrStart(hash, stale.Key, out _, stale) is { } fill)
        {
            fill.Leave();
        }
    }

    /// <summary>Starts a fetch that nobody else joins, for a client that must not share an uncacheable response.</summary>
    public OriginFill StartPrivate(UInt128 hash, string key)
    {
        var fill = new OriginFill(hash, key);
        fill.TryJoin();
        _ = RunAsync(fill, shared: false);
        return fill;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _origin.Dispose();
        _originSlots.Dispose();
    }

    /// <summary>
    /// Takes one of the <c>Edge:OriginMaxConcurrentFills</c> slots for a request forwarded to the origin uncached
    /// (an unsafe method), waiting up to the origin response timeout; false when none came free. Release with
    /// <see cref="ReleaseOriginSlot"/>.
    /// </summary>
    public async Task<bool> TakeForwardSlotAsync()
    {
        if (!await TakeOriginSlotAsync().ConfigureAwait(false))
        {
            return false;
        }

        _metrics.OriginFillsActive.Inc();
        return true;
    }

    public void ReleaseOriginSlot()
    {
        _metrics.OriginFillsActive.Dec();
        _originSlots.Release();
    }

    /// <summary>Waits up to the origin response timeout for a free fill slot.</summary>
    private async Task<bool> TakeOriginSlotAsync()
    {
        if (_originSlots.Wait(0))
        {
            return true;
        }

        using var timeout = new CancellationTokenSource(_options.OriginResponseTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
        try
        {
            await _originSlots.WaitAsync(linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task RunAsync(OriginFill fill, bool shared)
    {
        long reserved = 0;
        var slot = false;
        try
        {
            await Task.Yield();

            // A flood of distinct cold URLs queues here instead of opening a connection each to the origin.
            slot = await TakeOriginSlotAsync().ConfigureAwait(false);
            if (!slot)
            {
                reserved = Reject(fill, FillOutcome.OriginTimeout, "timeout", $"{_options.OriginMaxConcurrentFills} fills to the origin were already running for {_options.OriginResponseTimeout.TotalSeconds:0.###} s");
                return;
            }

            _metrics.OriginFillsActive.Inc();
            reserved = await FetchAsync(fill, shared).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // FetchAsync reports its own failures; this is the last guard so no waiter hangs.
            LogFillCrashed(_logger, fill.Key, ex);
            fill.SetHead(new FillHead { Outcome = FillOutcome.OriginError, Detail = "internal error" });
            fill.Fail("internal error");
        }
        finally
        {
            if (slot)
            {
                _metrics.OriginFillsActive.Dec();
                _originSlots.Release();
            }

            if (reserved > 0 && fill.Temp is { } temp)
            {
                temp.ReleaseReservation(reserved);
            }

            if (shared)
            {
                _fills.TryRemove(new KeyValuePair<UInt128, OriginFill>(fill.Hash, fill));
            }

            fill.Leave();
        }
    }

    /// <summary>Runs one fetch; returns reserved bytes that were not handed to the cache.</summary>
    private async Task<long> FetchAsync(OriginFill fill, bool shared)
    {
        HttpResponseMessage response;
        using var headersTimeout = new CancellationTokenSource(_options.OriginResponseTimeout, _time);
        using var headersLinked = CancellationTokenSource.CreateLinkedTokenSource(headersTimeout.Token, _stopping.Token);
        try
        {
            _metrics.OriginFetches.Inc();
            response = await _origin.GetAsync(fill.Key, headersLinked.Token, fill.Stale).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (headersTimeout.IsCancellationRequested)
        {
            return Reject(fill, FillOutcome.OriginTimeout, "timeout", $"origin did not answer within {_options.OriginResponseTimeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException ex) when (FileLimits.IsOutOfDescriptors(ex))
        {
            LogOutOfDescriptors(_logger, fill.Key);
            return Reject(fill, FillOutcome.NodeBusy, "node_busy", "the node is out of file descriptors");
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            LogOriginUnreachable(_logger, fill.Key, ex.Message);
            // The client hears the failure's class; the origin's address and the socket error go to the log only.
            return Reject(fill, FillOutcome.OriginError, "unreachable", "origin unreachable");
        }

        using (response)
        {
            var upstreamStatus = JoinHeader(response, "Cache-Status");
            if (fill.Stale is not null)
            {
                _metrics.Revalidations.WithLabels(response.StatusCode switch
                {
                    HttpStatusCode.NotModified => "not_modified",
                    HttpStatusCode.OK => "modified",
                    _ => "error",
                }).Inc();
            }

            if (response.StatusCode == HttpStatusCode.NotModified && fill.Stale is not null)
            {
                return Refresh(fill, response, upstreamStatus);
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                return await PassThroughAsync(fill, response, upstreamStatus).ConfigureAwait(false);
            }

            return await StreamBodyAsync(fill, response, upstreamStatus, shared).ConfigureAwait(false);
        }
    }

    // A 304 makes the stored copy fresh again: new freshness from the 304's headers, body untouched (RFC 9111 §4.3.4).
    private long Refresh(OriginFill fill, HttpResponseMessage response, string? upstreamStatus)
    {
        var now = _time.GetUtcNow();
        var stale = fill.Stale!;
        var cacheControl = JoinHeader(response, "Cache-Control") ?? stale.CacheControl;
        var rules = Freshness.FromResponse(cacheControl, response.Content.Headers.Expires is { } e ? e.ToString("r", CultureInfo.InvariantCulture) : null, response.Headers.Date, stale.LastModified, now);
        var refreshed = stale.Refreshed(rules, cacheControl, response.Headers.Age?.TotalSeconds ?? 0, now);
        _cache.Refresh(fill.Hash, refreshed);
        fill.SetHead(new FillHead { Outcome = FillOutcome.NotModified, Metadata = refreshed, StatusCode = 304, UpstreamCacheStatus = upstreamStatus, Shareable = true });
        fill.Complete();
        return 0;
    }

    private async Task<long> StreamBodyAsync(OriginFill fill, HttpResponseMessage response, string? upstreamStatus, bool shared)
    {
        var declaredLength = response.Content.Headers.ContentLength;
        var cacheControl = JoinHeader(response, "Cache-Control");

        // Responses that vary by request headers are not stored: one key holds one representation.
        var shareable = Freshness.AllowsStoring(cacheControl) && !response.Headers.Vary.Any(v => v.Length > 0);
        var storable = shared && shareable && fill.Admit;
        var responseTime = _time.GetUtcNow();
        var rules = Freshness.FromResponse(
            cacheControl,
            response.Content.Headers.Expires is { } expires ? expires.ToString("r", CultureInfo.InvariantCulture) : JoinHeader(response, "Expires"),
            response.Headers.Date,
            response.Content.Headers.LastModified,
            responseTime);
        var lastModified = response.Content.Headers.LastModified ?? TruncateToSeconds(_time.GetUtcNow());
        var etag = response.Headers.ETag is { IsWeak: false } strong ? strong.Tag : null;
        if (etag is null && declaredLength is { } knownLength && response.Content.Headers.LastModified is { } originModified)
        {
            // Same shape as nginx's: length and modification time identify a static file's content.
            etag = string.Create(CultureInfo.InvariantCulture, $"\"{originModified.ToUnixTimeSeconds():x}-{knownLength:x}\"");
        }

        try
        {
            fill.SetTemp(_cache.CreateTemp(fill.Hash));
        }
        catch (IOException ex) when (FileLimits.IsOutOfDescriptors(ex))
        {
            LogOutOfDescriptors(_logger, fill.Key);
            return Reject(fill, FillOutcome.NodeBusy, "node_busy", "the node is out of file descriptors");
        }
        catch (IOException ex)
        {
            LogNoDisk(_logger, fill.Key, ex.Message);
            return Reject(fill, FillOutcome.NodeBusy, "node_busy", "no cache disk is in service");
        }

        long reserved = 0;
        if (storable)
        {
            var want = declaredLength is { } known ? ObjectFile.SizeOnDisk(known) : ObjectFile.HeaderSize;
            storable = fill.Temp!.TryReserve(want);
            reserved = storable ? want : 0;
        }

        var head = new ObjectMetadata
        {
            Key = fill.Key,
            ContentLength = declaredLength ?? -1,
            ContentType = ContentTypes.ForPath(CacheKeyPolicy.PathOf(fill.Key)) ?? response.Content.Headers.ContentType?.ToString(),
            ETag = etag,
            LastModified = lastModified,
            CacheControl = cacheControl,
            StoredAt = responseTime,
            OriginETag = response.Headers.ETag is { IsWeak: false } origin ? origin.Tag : null,
            OriginLastModified = response.Content.Headers.LastModified is not null,
            FreshSeconds = rules.LifetimeSeconds,
            InitialAgeSeconds = response.Headers.Age?.TotalSeconds ?? 0,
            StaleWhileRevalidateSeconds = rules.StaleWhileRevalidateSeconds,
            StaleIfErrorSeconds = rules.StaleIfErrorSeconds,
            MustRevalidate = rules.MustRevalidate,
        };
        fill.SetHead(new FillHead { Outcome = FillOutcome.Body, Metadata = head, Storable = storable, Shareable = shareable, StatusCode = 200, UpstreamCacheStatus = upstreamStatus });

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunks = new ChunkHasher();
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long written = 0;
        var held = 0;
        try
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            var stream = await response.Content.ReadAsStreamAsync(_stopping.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                while (true)
                {
                    idle.CancelAfter(_options.OriginIdleTimeout);
                    var read = await stream.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    if (storable && declaredLength is null)
                    {
                        storable = fill.Temp!.TryReserve(read);
                        reserved += storable ? read : 0;
                    }

                    try
                    {
                        RandomAccess.Write(fill.Temp!.Handle, buffer.AsSpan(0, read), ObjectFile.HeaderSize + written);
                    }
                    catch (IOException ex) when (!DiskCache.IsDiskFull(ex))
                    {
                        // The cache disk, not the origin: it is checked, and taken out of service if it is failing.
                        fill.Temp!.ReportWriteError(ex);
                        throw;
                    }

                    hash.AppendData(buffer, 0, read);
                    chunks.Append(buffer.AsSpan(0, read));
                    written += read;
                    _metrics.OriginBytes.Inc(read);

                    // The last bytes are handed to readers only once the object is published, so a client
                    // that has the whole body and asks again gets a hit, not a second look at this fill.
                    if (written == declaredLength)
                    {
                        held = read;
                    }
                    else
                    {
                        fill.Advance(read);
                    }
                }
            }
        }
        catch (IOException ex) when (DiskCache.IsDiskFull(ex))
        {
            fill.Temp!.ReportDiskFull($"a fill of {written} bytes found no space: {ex.Message}");
            return FailBody(fill, $"disk full after {written} bytes: {ex.Message}", reserved);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
        {
            var reason = ex is OperationCanceledException && !_stopping.IsCancellationRequested
                ? $"origin body stalled for {_options.OriginIdleTimeout.TotalSeconds:0.###} s after {written} bytes"
                : $"origin body failed after {written} bytes: {ex.Message}";
            return FailBody(fill, reason, reserved);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (declaredLength is { } expected && written != expected)
        {
            return FailBody(fill, $"origin body was {written} bytes, Content-Length said {expected}", reserved);
        }

        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        var final = new ObjectMetadata
        {
            Key = head.Key,
            ContentLength = written,
            ContentType = head.ContentType,
            ETag = head.ETag ?? $"\"s{sha[..32]}\"",
            LastModified = head.LastModified,
            CacheControl = head.CacheControl,
            StoredAt = head.StoredAt,
            Sha256 = sha,
            OriginETag = head.OriginETag,
            OriginLastModified = head.OriginLastModified,
            FreshSeconds = head.FreshSeconds,
            InitialAgeSeconds = head.InitialAgeSeconds,
            StaleWhileRevalidateSeconds = head.StaleWhileRevalidateSeconds,
            StaleIfErrorSeconds = head.StaleIfErrorSeconds,
            MustRevalidate = head.MustRevalidate,
        };

        if (storable && declaredLength is null)
        {
            // The checksum table's size is known only now.
            var table = ObjectFile.SizeOnDisk(written) - ObjectFile.HeaderSize - written;
            storable = fill.Temp!.TryReserve(table);
            reserved += storable ? table : 0;
        }

        if (storable && _cache.Publish(fill.Temp!, final, reserved, chunks.Finish()))
        {
            reserved = 0;
            _metrics.OriginFetchResults.WithLabels("stored").Inc();
        }
        else
        {
            _metrics.OriginFetchResults.WithLabels("not_stored").Inc();
        }

        if (held > 0)
        {
            fill.Advance(held);
        }

        fill.Complete();
        return reserved;
    }

    private long FailBody(OriginFill fill, string reason, long reserved)
    {
        LogFillFailed(_logger, fill.Key, reason);
        _metrics.OriginFetchResults.WithLabels("truncated").Inc();
        fill.Fail(reason);
        return reserved;
    }

    private async Task<long> PassThroughAsync(OriginFill fill, HttpResponseMessage response, string? upstreamStatus)
    {
        var status = (int)response.StatusCode;
        if (status >= 500 || status is < 300 or 304 or 206)
        {
            return Reject(fill, FillOutcome.OriginError, "error", $"origin answered {status} {response.ReasonPhrase}");
        }

        byte[] body;
        try
        {
            using var timeout = new CancellationTokenSource(_options.OriginIdleTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
            body = await ReadSmallBodyAsync(response, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
        {
            body = [];
        }

        _metrics.OriginFetchResults.WithLabels("passthrough").Inc();
        fill.SetHead(new FillHead
        {
            Outcome = FillOutcome.Passthrough,
            StatusCode = status,
            Body = body,
            ContentType = response.Content.Headers.ContentType?.ToString(),
            CacheControl = JoinHeader(response, "Cache-Control"),
            Location = response.Headers.Location?.OriginalString,
            UpstreamCacheStatus = upstreamStatus,
        });
        fill.Complete();
        return 0;
    }

    private long Reject(OriginFill fill, FillOutcome outcome, string result, string detail)
    {
        // A failed fill leaves the table before anyone hears of it, so a request sent after the failure asks the origin again.
        _fills.TryRemove(new KeyValuePair<UInt128, OriginFill>(fill.Hash, fill));
        _metrics.OriginFetchResults.WithLabels(result).Inc();
        fill.SetHead(new FillHead { Outcome = outcome, Detail = detail });
        fill.Fail(detail);
        return 0;
    }

    private static async Task<byte[]> ReadSmallBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxPassthroughBody)
        {
            return [];
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var copy = new MemoryStream();
            var buffer = new byte[8192];
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (copy.Length + read > MaxPassthroughBody)
                {
                    return [];
                }

                copy.Write(buffer, 0, read);
            }

            return copy.ToArray();
        }
    }

    private static string? JoinHeader(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) =>
        DateTimeOffset.FromUnixTimeSeconds(value.ToUnixTimeSeconds());

    [LoggerMessage(EventId = 203, Level = LogLevel.Error, Message = "Fill of {Key} refused: the process is out of file descriptors (raise its open-file limit or lower Edge:MaxOpenFiles)")]
    private static partial void LogOutOfDescriptors(ILogger logger, string key);

    [LoggerMessage(EventId = 204, Level = LogLevel.Error, Message = "Fill of {Key} refused: {Reason}")]
    private static partial void LogNoDisk(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Origin unreachable for {Key}: {Reason}")]
    private static partial void LogOriginUnreachable(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Fill of {Key} failed, nothing stored: {Reason}")]
    private static partial void LogFillFailed(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 202, Level = LogLevel.Error, Message = "Fill of {Key} crashed")]
    private static partial void LogFillCrashed(ILogger logger, string key, Exception exception);
}
