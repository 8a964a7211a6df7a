using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Live;
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
    private readonly VariantBudget _variants;
    private readonly PartTargets _partTargets;

    public FillCoordinator(
        DiskCache cache,
        OriginClient origin,
        EdgeMetrics metrics,
        TimeProvider time,
        IOptions<EdgeOptions> options,
        IHostApplicationLifetime lifetime,
        ILogger<FillCoordinator> logger,
        PartTargets partTargets)
    {
        _partTargets = partTargets;
        _cache = cache;
        _origin = origin;
        _metrics = metrics;
        _time = time;
        _options = options.Value;
        _logger = logger;
        _originSlots = new SemaphoreSlim(_options.OriginMaxConcurrentFills, _options.OriginMaxConcurrentFills);
        _variants = new VariantBudget(_options.MaxVariants);
        lifetime.ApplicationStopped.Register(_stopping.Cancel);
    }

    /// <summary>
    /// Joins the running fill of <paramref name="key"/> or starts one; the caller must
    /// <see cref="OriginFill.Leave"/> it. Returns null when a fill finished meanwhile, so the caller
    /// looks in the cache again.
    /// </summary>
    public OriginFill? GetOrStart(UInt128 hash, string key, out bool started, ObjectMetadata? stale = null, bool admit = true, ForwardedRequest? forwarded = null)
    {
        started = false;
        if (_fills.TryGetValue(hash, out var existing))
        {
            return existing.TryJoin() ? existing : null;
        }

        var fill = new OriginFill(hash, key, stale, admit, forwarded);
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

    /// <summary>The fill of <paramref name="hash"/> in progress, if any.</summary>
    public OriginFill? Running(UInt128 hash) => _fills.GetValueOrDefault(hash);

    /// <summary>
    /// Revalidates a stale copy in the background (stale-while-revalidate): at most one revalidation per object runs,
    /// and nobody waits for it.
    /// </summary>
    public void RevalidateInBackground(UInt128 hash, ObjectMetadata stale, ForwardedRequest? forwarded = null)
    {
        if (GetOrStart(hash, Variants.BaseOf(stale.Key), out _, stale, forwarded: forwarded) is { } fill)
        {
            fill.Leave();
        }
    }

    /// <summary>Starts a fetch that nobody else joins, for a client that must not share an uncacheable response.</summary>
    public OriginFill StartPrivate(UInt128 hash, string key, ForwardedRequest? forwarded = null)
    {
        var fill = new OriginFill(hash, key, forwarded: forwarded);
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
            fill.FetchStarting();
            response = await _origin.GetAsync(fill.Key, headersLinked.Token, fill.Stale, fill.Forwarded).ConfigureAwait(false);
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
            var status = (int)response.StatusCode;
            if (fill.Stale is not null)
            {
                _metrics.Revalidations.WithLabels(status switch
                {
                    304 => "not_modified",
                    < 500 => "modified",
                    _ => "error",
                }).Inc();
            }

            if (status == 304 && fill.Stale is not null)
            {
                return Refresh(fill, response, upstreamStatus);
            }

            return await StreamBodyAsync(fill, response, upstreamStatus, shared).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// RFC 9111 freshness, with two choices for live video: a 404 or 410 in a live playlist's folder is kept no longer
    /// than a part (the part is usually there a moment later), and a manifest without explicit freshness is fresh for
    /// <c>Edge:ManifestTtl</c>, not a heuristic that could hold a live playlist for minutes.
    /// </summary>
    private FreshnessRules RulesFor(in ResponseCaching caching, DateTimeOffset responseTime, string[]? fields, string key)
    {
        var path = CacheKeyPolicy.PathOf(key).ToString();
        var negativeTtl = _partTargets.For(path) is { } part && part < _options.NegativeTtl ? part : _options.NegativeTtl;
        var rules = Freshness.FromResponse(caching, responseTime, negativeTtl);
        if (!rules.Explicit && caching.Status == 200 && IsManifest(StoredFields.Get(fields, "Content-Type")))
        {
            rules = rules with { LifetimeSeconds = _options.ManifestTtl.TotalSeconds };
        }

        return rules;
    }

    private static bool IsHlsPlaylist(string? contentType) =>
        contentType is not null && (contentType.Contains("mpegurl", StringComparison.OrdinalIgnoreCase));

    private static bool IsManifest(string? contentType) =>
        IsHlsPlaylist(contentType) || (contentType is not null && contentType.StartsWith("application/dash+xml", StringComparison.OrdinalIgnoreCase));

    // A 304 makes the stored copy fresh again: its fields replace the stored ones, the body stays (RFC 9111 §4.3.4).
    private long Refresh(OriginFill fill, HttpResponseMessage response, string? upstreamStatus)
    {
        var now = _time.GetUtcNow();
        var stale = fill.Stale!;
        var stored = stale.Fields ?? FirstFormatFields(stale);
        var fields = StoredFields.Merge(stored, StoredFields.Collect(response, _origin.Via));
        var caching = CachingOf(stale.StatusCode, fields, fill.Forwarded);
        var rules = RulesFor(caching, now, fields, stale.Key);
        var refreshed = stale.Refreshed(rules, fields, caching.CacheControl, InitialAge(response), now);
        if (!_cache.Refresh(CacheKey.Hash(stale.Key), refreshed))
        {
            // The merged fields no longer fit the header block, or the object went: the copy is not kept.
            _cache.Remove(CacheKey.Hash(stale.Key));
        }

        fill.SetHead(new FillHead { Outcome = FillOutcome.NotModified, Metadata = refreshed, StatusCode = 304, UpstreamCacheStatus = upstreamStatus, Shareable = true });
        fill.Complete();
        return 0;
    }

    private async Task<long> StreamBodyAsync(OriginFill fill, HttpResponseMessage response, string? upstreamStatus, bool shared)
    {
        var status = (int)response.StatusCode;
        var declaredLength = status is 204 or 304 ? 0 : response.Content.Headers.ContentLength;
        var fields = StoredFields.Collect(response, _origin.Via);
        var byExtension = ContentTypes.ForPath(CacheKeyPolicy.PathOf(fill.Key));
        if (status == 200 && byExtension is not null && StoredFields.Get(fields, "Content-Type") is var sent && (sent is null || IsGeneric(sent)))
        {
            // An origin that types a playlist or segment as bytes (common with object stores) breaks players: its type goes by extension.
            fields = StoredFields.Replace(fields, "Content-Type", byExtension);
        }

        var caching = CachingOf(status, fields, fill.Forwarded);
        var responseTime = _time.GetUtcNow();
        var rules = RulesFor(caching, responseTime, fields, fill.Key);
        var playlist = status == 200 && IsHlsPlaylist(StoredFields.Get(fields, "Content-Type"));
        if (!AgeIsValid(response))
        {
            // An Age that is not one delta-seconds value cannot be trusted to be small: the copy starts stale.
            rules = rules with { LifetimeSeconds = 0 };
        }

        var vary = Variants.Names(StoredFields.GetList(fields, "Vary"));

        // Vary: * never matches another request, so the response is not stored or shared.
        var shareable = Freshness.AllowsStoring(caching, rules) && vary is not ["*"];
        var storeKey = vary is null || !shareable ? fill.Key : Variants.KeyFor(fill.Key, vary, fill.Forwarded.ValueOf);
        var storable = shared && shareable && fill.Admit && (vary is null || _variants.TryAdd(fill.Key, storeKey));
        var parsedLastModified = Freshness.ParseDate(caching.LastModified);
        var lastModified = parsedLastModified ?? TruncateToSeconds(responseTime);
        var originETag = StoredFields.Get(fields, "ETag");
        var etag = originETag;
        if (etag is null && status == 200 && declaredLength is { } knownLength && parsedLastModified is { } originModified)
        {
            // Same shape as nginx's: length and modification time identify a static file's content.
            etag = string.Create(CultureInfo.InvariantCulture, $"\"{originModified.ToUnixTimeSeconds():x}-{knownLength:x}\"");
        }

        var head = new ObjectMetadata
        {
            Key = storeKey,
            ContentLength = declaredLength ?? -1,
            Status = status,
            Fields = fields,
            ContentType = null,
            ETag = etag,
            LastModified = lastModified,
            CacheControl = caching.CacheControl,
            StoredAt = responseTime,
            OriginETag = originETag,
            OriginLastModified = parsedLastModified is not null,
            FreshSeconds = rules.LifetimeSeconds,
            InitialAgeSeconds = InitialAge(response),
            StaleWhileRevalidateSeconds = rules.StaleWhileRevalidateSeconds,
            StaleIfErrorSeconds = rules.StaleIfErrorSeconds,
            MustRevalidate = rules.MustRevalidate,
        };

        if (storable && !ObjectFile.Fits(head))
        {
            LogHeadersTooLarge(_logger, fill.Key);
            storable = false;
        }

        if (storable && vary is not null)
        {
            // The variant list goes in first, so a client whose request selects another variant finds it and fills its own.
            storable = PublishVariantList(fill, vary, responseTime);
        }

        try
        {
            fill.SetTemp(_cache.CreateTemp(CacheKey.Hash(storeKey)));
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

        _metrics.OriginFetchResults.WithLabels(status == 200 ? "body" : "status").Inc();
        fill.SetHead(new FillHead
        {
            Outcome = FillOutcome.Body,
            Metadata = head,
            Storable = storable,
            Shareable = shareable,
            StatusCode = status,
            UpstreamCacheStatus = upstreamStatus,
            Vary = vary,
            VariantKey = storeKey,
            ServerError = status >= 500,
        });

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

                    if (playlist && written == 0)
                    {
                        _partTargets.Observe(fill.Key, buffer.AsSpan(0, read));
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
            Status = head.Status,
            Fields = head.Fields,
            ContentType = head.ContentType,
            ETag = head.ETag ?? (head.Status == 200 ? $"\"s{sha[..32]}\"" : null),
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

        // The fill leaves the table before its last bytes go out: a client that has the whole body and asks again
        // finds the stored copy, or (when nothing was stored) a fetch of its own, never this finished fill.
        _fills.TryRemove(new KeyValuePair<UInt128, OriginFill>(fill.Hash, fill));
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
        _fills.TryRemove(new KeyValuePair<UInt128, OriginFill>(fill.Hash, fill));
        fill.Fail(reason);
        return reserved;
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

    /// <summary>
    /// Stores the list of fields an object's responses vary by, under the object's own key, so later requests find
    /// their variant's key; false when that cannot be stored (then neither is the variant).
    /// </summary>
    private bool PublishVariantList(OriginFill fill, string[] vary, DateTimeOffset now)
    {
        var hash = CacheKey.Hash(fill.Key);
        if (_cache.GetMetadata(hash) is { Vary: { } known } && known.SequenceEqual(vary))
        {
            return true;
        }

        TempObject temp;
        try
        {
            temp = _cache.CreateTemp(hash);
        }
        catch (IOException)
        {
            return false;
        }

        using (temp)
        {
            var list = new ObjectMetadata
            {
                Key = fill.Key,
                ContentLength = 0,
                Status = 200,
                Fields = [],
                Vary = vary,
                LastModified = TruncateToSeconds(now),
                StoredAt = now,
                // The list outlives every variant; a variant's own freshness decides what is served.
                FreshSeconds = 365 * 86_400,
            };
            var size = ObjectFile.SizeOnDisk(0);
            if (!temp.TryReserve(size))
            {
                return false;
            }

            if (!_cache.Publish(temp, list, size, []))
            {
                temp.ReleaseReservation(size);
                return false;
            }

            return true;
        }
    }

    private static bool IsGeneric(string contentType) =>
        contentType.AsSpan().Trim().StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase)
        || contentType.AsSpan().Trim().StartsWith("binary/octet-stream", StringComparison.OrdinalIgnoreCase);

    private ResponseCaching CachingOf(int status, string[] fields, ForwardedRequest forwarded) => CachingOf(status, fields, forwarded, _origin.SurrogateTarget);

    private static ResponseCaching CachingOf(int status, string[] fields, ForwardedRequest forwarded, string? target) => new(
        status,
        StoredFields.GetList(fields, "Cache-Control"),
        StoredFields.GetList(fields, "CDN-Cache-Control") ?? StoredFields.GetList(fields, "Surrogate-Control"),
        StoredFields.Get(fields, "Expires"),
        StoredFields.Get(fields, "Date"),
        StoredFields.Get(fields, "Last-Modified"),
        forwarded.HasAuthorization,
        target);

    // The origin's Age as it arrived. RFC 9111 §4.2.3 also allows the age the origin's Date suggests and the time the
    // answer took; both are left out, as Varnish does: an origin clock a few seconds slow would make every live
    // playlist (max-age=2) stale on arrival, and a slow answer's Age would read a second older than the origin said.
    private static double InitialAge(HttpResponseMessage response)
    {
        if (response.Headers.NonValidated.TryGetValues("Age", out var ages)
            && ages.FirstOrDefault() is { } first
            && long.TryParse(first.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var ageValue)
            && ageValue > 0)
        {
            return ageValue;
        }

        return 0;
    }

    private static bool AgeIsValid(HttpResponseMessage response)
    {
        if (!response.Headers.NonValidated.TryGetValues("Age", out var ages))
        {
            return true;
        }

        return ages.Count == 1 && ages.First().Trim() is { Length: > 0 } value && value.All(char.IsAsciiDigit);
    }

    private static string[] FirstFormatFields(ObjectMetadata metadata)
    {
        var fields = new List<string>(8);
        foreach (var (name, value) in metadata.Headers.Fields)
        {
            foreach (var item in value)
            {
                fields.Add(name);
                fields.Add(item!);
            }
        }

        return [.. fields];
    }

    private static string? JoinHeader(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) =>
        DateTimeOffset.FromUnixTimeSeconds(value.ToUnixTimeSeconds());

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Response for {Key} is served but not stored: its header fields do not fit an object's 4 KiB header block")]
    private static partial void LogHeadersTooLarge(ILogger logger, string key);

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
