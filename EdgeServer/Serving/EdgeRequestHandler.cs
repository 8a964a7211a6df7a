using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Edge.Contracts;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Metrics;
using Edge.EdgeServer.Origin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Serving;

/// <summary>
/// Serves manifests and segments: hits from the disk cache, misses streamed from an origin fill,
/// with ranges, conditional requests, CORS and RFC 9211 <c>Cache-Status</c>.
/// </summary>
internal sealed partial class EdgeRequestHandler
{
    // 64 KiB reads: on this hardware larger reads did not raise loopback throughput, smaller ones cost syscalls.
    private const int CopyBufferSize = 64 * 1024;
    private const int MaxAttempts = 3;

    private static readonly StringValues AcceptRangesBytes = "bytes";
    private static readonly StringValues AllowedMethods = "GET, HEAD, OPTIONS";
    private static readonly StringValues ExposedHeaders = "Cache-Status, Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified";
    private static readonly StringValues AllowedRequestHeaders = "Range, If-Range, If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since";
    private static readonly StringValues PreflightMaxAge = "86400";

    private readonly DiskCache _cache;
    private readonly FillCoordinator _fills;
    private static readonly string?[] AgeTexts = new string?[86_400];
    private readonly MemoryTier _memory;
    private readonly Doorkeeper _doorkeeper;
    private readonly OriginClient _origin;
    private readonly TimeProvider _time;
    private readonly StalledWrites _stalls;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger<EdgeRequestHandler> _logger;
    private readonly int _maxPathLength;
    private readonly UrlSignature _signature;
    private readonly CacheKeyPolicy _keys;
    private readonly IReadOnlyList<string> _strippedRequestHeaders;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>>? _allowedExtensions;
    private readonly bool _signingRequired;
    private readonly bool _forwardUnsafe;
    private readonly Uri _originUrl;
    private readonly TimeSpan _originTimeout;
    private readonly StringValues _corsOrigin;
    private readonly string _nodeToken;
    private readonly StringValues _statusHit;
    private readonly StringValues _statusBypass;
    private readonly StringValues _statusStaleWhileRevalidate;
    private readonly StringValues _statusMemoryHit;
    private readonly StringValues _statusRevalidated;
    private readonly StringValues _statusStaleIfError;

    public EdgeRequestHandler(DiskCache cache, MemoryTier memory, Doorkeeper doorkeeper, FillCoordinator fills, OriginClient origin, EdgeMetrics metrics, StalledWrites stalls, TimeProvider time, IOptions<EdgeOptions> options, ILogger<EdgeRequestHandler> logger)
    {
        _stalls = stalls;
        _cache = cache;
        _memory = memory;
        _doorkeeper = doorkeeper;
        _fills = fills;
        _origin = origin;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        var value = options.Value;
        _maxPathLength = value.MaxPathLength;
        _keys = new CacheKeyPolicy(value.CacheKey);
        _strippedRequestHeaders = value.StrippedRequestHeaders();
        _signature = new UrlSignature(value.UrlSigning.ParsedKeys());
        _signingRequired = value.UrlSigning.Required;
        _forwardUnsafe = value.ForwardUnsafeMethods;
        _originUrl = Uri.TryCreate(value.OriginUrl, UriKind.Absolute, out var originUrl) ? originUrl : new Uri("http://origin.invalid");
        _originTimeout = value.OriginResponseTimeout;
        // Looked up by span, so a request's extension is never copied into a string.
        _allowedExtensions = value.AllowedExtensions.Count > 0
            ? new HashSet<string>(value.AllowedExtensions, StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>()
            : null;
        _corsOrigin = value.CorsAllowOrigin;
        _nodeToken = CacheStatus.Identifier(value.NodeId);
        _statusHit = _nodeToken + "; hit";
        _statusBypass = _nodeToken + "; fwd=bypass";
        _statusStaleWhileRevalidate = _nodeToken + "; hit; detail=stale-while-revalidate";
        _statusMemoryHit = _nodeToken + "; hit; detail=memory";
        _statusRevalidated = _nodeToken + "; fwd=stale; fwd-status=304";
        _statusStaleIfError = _nodeToken + "; fwd=stale; detail=stale-if-error";
    }

    /// <summary><c>Cache-Status</c> for responses that never touch the cache (health, metrics, bad requests).</summary>
    public StringValues BypassStatus => _statusBypass;

    public Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        ValueTask<Outcome> handling;
        try
        {
            handling = HandleAsync(context);
        }
        catch
        {
            _metrics.RecordRequest(context.Response.StatusCode, CacheResult.Bypass, 0, started);
            throw;
        }

        // Most hits finish without waiting: no Task is allocated for them.
        if (handling.IsCompletedSuccessfully)
        {
            var outcome = handling.Result;
            _metrics.RecordRequest(context.Response.StatusCode, outcome.Result, outcome.Bytes, started);
            return Task.CompletedTask;
        }

        return AwaitAsync(context, handling, started);
    }

    private async Task AwaitAsync(HttpContext context, ValueTask<Outcome> handling, long started)
    {
        var outcome = new Outcome(CacheResult.Bypass, 0);
        try
        {
            outcome = await handling;
        }
        catch (IOException ex) when (Caching.FileLimits.IsOutOfDescriptors(ex))
        {
            // Even closing idle cached files left no descriptor: a clear, retryable refusal, never a crash.
            _metrics.DescriptorExhaustion.Inc();
            if (context.Response.HasStarted)
            {
                context.Abort();
            }
            else
            {
                context.Response.Clear();
                await WriteOutOfDescriptorsAsync(context);
            }
        }
        finally
        {
            _metrics.RecordRequest(context.Response.StatusCode, outcome.Result, outcome.Bytes, started);
        }
    }

    private ForwardedRequest Forwarded(HttpRequest request) => ForwardedRequest.From(request, _strippedRequestHeaders);

    private static string? RequestValue(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var values) ? values.ToString() : null;

    /// <summary>The <c>Age</c> value; ages under a day come from a cache, filled as they are first needed.</summary>
    private static string AgeText(long seconds)
    {
        if (seconds >= AgeTexts.Length)
        {
            return seconds.ToString(CultureInfo.InvariantCulture);
        }

        return AgeTexts[seconds] ??= seconds.ToString(CultureInfo.InvariantCulture);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var headers = response.Headers;
        SetCommonHeaders(headers);

        var method = request.Method;
        var isHead = HttpMethods.IsHead(method);
        if (HttpMethods.IsOptions(method))
        {
            WriteOptions(context);
            return default;
        }

        if (HttpMethods.IsTrace(method) || HttpMethods.IsConnect(method))
        {
            headers.Allow = AllowedMethods;
            await WriteTextAsync(context, StatusCodes.Status405MethodNotAllowed, "method not allowed\n");
            return default;
        }

        var key = request.Path.Value;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? key;
        if (_signature.Enabled && key is not null)
        {
            // Checked before any disk or origin work; the token never becomes part of the cache key.
            var failure = SignatureFailure.Missing;
            if (UrlSignature.TrySplit(key, out var token, out var rest))
            {
                failure = _signature.Verify(token, rest, context.Connection.RemoteIpAddress, _time.GetUtcNow());
                if (failure == SignatureFailure.None)
                {
                    key = rest;
                    rawTarget = rawTarget is not null && rawTarget.StartsWith(UrlSignature.Marker + token, StringComparison.Ordinal) ? rawTarget[(UrlSignature.Marker.Length + token.Length)..] : rest;
                }
            }

            if (failure != SignatureFailure.None && (_signingRequired || failure != SignatureFailure.Missing))
            {
                var reason = UrlSignature.ReasonCode(failure);
                headers[CacheStatus.HeaderName] = _nodeToken + "; fwd=bypass; detail=" + reason;
                await WriteTextAsync(context, StatusCodes.Status403Forbidden, $"forbidden: {reason}\n");
                return default;
            }
        }

        switch (RequestPath.Check(key, rawTarget, _maxPathLength))
        {
            case PathCheck.BadRequest:
                await WriteTextAsync(context, StatusCodes.Status400BadRequest, "bad request: the path is not a valid object path\n");
                return default;
            case PathCheck.NotFound:
                await WriteTextAsync(context, StatusCodes.Status404NotFound, "not found\n");
                return default;
            case PathCheck.TooLong:
                await WriteTextAsync(context, StatusCodes.Status414UriTooLong, "the request path is too long\n");
                return default;
        }

        if (_allowedExtensions is { } allowed && !allowed.Contains(Path.GetExtension(key.AsSpan())))
        {
            headers[CacheStatus.HeaderName] = _statusBypass;
            await WriteTextAsync(context, StatusCodes.Status403Forbidden, "forbidden: this file type is not served\n");
            return default;
        }

        // The query, as the key policy keeps it, is part of the key and of what the origin is sent.
        key = _keys.KeyFor(key!, request.QueryString.Value);
        var hash = CacheKey.Hash(key);
        if (!isHead && !HttpMethods.IsGet(method))
        {
            if (!_forwardUnsafe)
            {
                headers.Allow = AllowedMethods;
                await WriteTextAsync(context, StatusCodes.Status405MethodNotAllowed, "method not allowed: this edge serves GET and HEAD\n");
                return default;
            }

            return await ForwardAsync(context, hash, key!);
        }

        // The memory tier: no disk I/O at all. Anything but a fresh copy goes the disk path (revalidation lives there).
        if (_memory.TryGet(key!, out var held) && Freshness.Evaluate(held!.Metadata, _time.GetUtcNow()) is { Fresh: true } heldState)
        {
            _metrics.MemoryHits.Inc();
            return await ServeAsync(context, null, held.Metadata, _statusMemoryHit, fill: null, isHead, CacheResult.Hit, age: heldState.AgeSeconds, memoryBody: held.Body);
        }

        bool? admit = null;
        var lookupKey = key!;
        var lookupHash = hash;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (_cache.TryAcquire(lookupHash, lookupKey, out var lease))
            {
                if (lease.Metadata.Vary is { } vary)
                {
                    // The object varies: its variant list names the request fields that pick the stored variant.
                    lease.Dispose();
                    lookupKey = Variants.KeyFor(key!, vary, name => RequestValue(request, name));
                    lookupHash = CacheKey.Hash(lookupKey);
                    if (_memory.TryGet(lookupKey, out var variant) && Freshness.Evaluate(variant!.Metadata, _time.GetUtcNow()) is { Fresh: true } variantState)
                    {
                        _metrics.MemoryHits.Inc();
                        return await ServeAsync(context, null, variant.Metadata, _statusMemoryHit, fill: null, isHead, CacheResult.Hit, age: variantState.AgeSeconds, memoryBody: variant.Body);
                    }

                    if (!_cache.TryAcquire(lookupHash, lookupKey, out lease))
                    {
                        goto Fill;
                    }
                }

                Outcome served;
                using (lease)
                {
                    var state = Freshness.Evaluate(lease.Metadata, _time.GetUtcNow());
                    if (state.Fresh && _memory.ShouldPromote(lookupKey, lease.Metadata.ContentLength, lease.Hits) && _memory.Promote(lookupHash, lookupKey) is { } promoted)
                    {
                        served = await ServeAsync(context, null, promoted.Metadata, _statusHit, fill: null, isHead, CacheResult.Hit, age: state.AgeSeconds, memoryBody: promoted.Body);
                    }
                    else if (state.Fresh)
                    {
                        served = await ServeAsync(context, lease.Handle, lease.Metadata, _statusHit, fill: null, isHead, CacheResult.Hit, lease.Checksums, state.AgeSeconds);
                    }
                    else if (state.MayServeWhileRevalidating)
                    {
                        _fills.RevalidateInBackground(lookupHash, lease.Metadata, Forwarded(request));
                        _metrics.StaleServed.WithLabels("stale_while_revalidate").Inc();
                        served = await ServeAsync(context, lease.Handle, lease.Metadata, _statusStaleWhileRevalidate, fill: null, isHead, CacheResult.Hit, lease.Checksums, state.AgeSeconds);
                    }
                    else
                    {
                        served = await RevalidateAsync(context, lookupHash, lease, state, isHead);
                    }
                }

                if (!served.Retry)
                {
                    return served;
                }

                // A corrupt object caught before any byte was sent, or a revalidation that raced a fill: look again.
                context.Response.Clear();
                SetCommonHeaders(context.Response.Headers);
                (lookupKey, lookupHash) = (key!, hash);
                continue;
            }

        Fill:
            if (admit is null)
            {
                admit = _doorkeeper.Admit(hash, key!);
                if (!admit.Value)
                {
                    _metrics.AdmissionDeclined.Inc();
                }
            }

            var fill = _fills.GetOrStart(lookupHash, key!, out var leader, admit: admit.Value, forwarded: Forwarded(request));
            if (fill is null)
            {
                (lookupKey, lookupHash) = (key!, hash);
                continue;
            }

            if (!leader && admit.Value && !fill.Admit)
            {
                fill.AdmitNow();
            }

            Outcome filled;
            try
            {
                filled = await ServeFillAsync(context, fill, leader, isHead);
            }
            finally
            {
                fill.Leave();
            }

            if (!filled.Retry)
            {
                return filled;
            }

            (lookupKey, lookupHash) = (key!, hash);
        }

        // Only reached if the object is evicted between each fill finishing and the next lookup.
        await WriteTextAsync(context, StatusCodes.Status503ServiceUnavailable, "the object changed while being served; retry\n");
        return new Outcome(CacheResult.Error, 0);
    }

    /// <summary>
    /// Passes a request the cache cannot answer (POST, PUT, DELETE, PATCH...) to the origin, uncached, and on success
    /// invalidates the stored target and any same-site Location or Content-Location (RFC 9111 §4.4).
    /// </summary>
    private async ValueTask<Outcome> ForwardAsync(HttpContext context, UInt128 hash, string key)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers[CacheStatus.HeaderName] = _nodeToken + "; fwd=method";

        // Unsafe methods are never collapsed, so they queue for the same origin slots as fills do.
        if (!await _fills.TakeForwardSlotAsync())
        {
            response.Headers.RetryAfter = "1";
            await WriteTextAsync(context, StatusCodes.Status503ServiceUnavailable, "service unavailable: the origin is busy\n");
            return new Outcome(CacheResult.Error, 0);
        }

        try
        {
            HttpResponseMessage upstream;
            using var timeout = new CancellationTokenSource(_originTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.RequestAborted);
            try
            {
                upstream = await _origin.ForwardAsync(request.Method, key, request.Body, request.ContentType, request.ContentLength, Forwarded(request), linked.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                await WriteTextAsync(context, StatusCodes.Status504GatewayTimeout, "gateway timeout: the origin did not answer in time\n");
                return new Outcome(CacheResult.Error, 0);
            }
            catch (HttpRequestException ex)
            {
                LogForwardFailed(_logger, key, ex.Message);
                await WriteTextAsync(context, StatusCodes.Status502BadGateway, "bad gateway: origin unreachable\n");
                return new Outcome(CacheResult.Error, 0);
            }

            return await RelayAsync(context, upstream, hash);
        }
        finally
        {
            _fills.ReleaseOriginSlot();
        }
    }

    private async ValueTask<Outcome> RelayAsync(HttpContext context, HttpResponseMessage upstream, UInt128 hash)
    {
        var response = context.Response;
        using (upstream)
        {
            var status = (int)upstream.StatusCode;
            if (status is >= 200 and < 400)
            {
                Invalidate(hash);
                foreach (var location in new[] { upstream.Headers.Location, upstream.Content.Headers.ContentLocation })
                {
                    if (location is not null && SameOriginPath(location, context.Request) is { } path && RequestPath.Check(path, path, _maxPathLength) == PathCheck.Ok)
                    {
                        Invalidate(CacheKey.Hash(path));
                    }
                }
            }

            response.StatusCode = status;
            foreach (var (name, values) in StoredFields.Group(StoredFields.Collect(upstream, _origin.Via)))
            {
                response.Headers[name] = values;
            }

            if (upstream.Content.Headers.ContentLength is { } length)
            {
                response.ContentLength = length;
            }

            await using var body = await upstream.Content.ReadAsStreamAsync(context.RequestAborted);
            var counter = new CountingCopy();
            await counter.CopyAsync(body, response.Body, context.RequestAborted);
            return new Outcome(CacheResult.Bypass, counter.Bytes);
        }
    }

    private void Invalidate(UInt128 hash)
    {
        if (_cache.Remove(hash))
        {
            _metrics.Invalidations.Inc();
        }
    }

    // Only URLs of this node or of its origin name objects it holds (RFC 9111 §4.4): another host's URL invalidates nothing.
    private string? SameOriginPath(Uri location, HttpRequest request)
    {
        if (!location.IsAbsoluteUri)
        {
            return new Uri(new Uri("http://x"), location).AbsolutePath;
        }

        var sameAsOrigin = location.Scheme == _originUrl.Scheme && string.Equals(location.Authority, _originUrl.Authority, StringComparison.OrdinalIgnoreCase);
        var sameAsNode = location.Scheme == request.Scheme && string.Equals(location.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
        return sameAsOrigin || sameAsNode ? Uri.UnescapeDataString(location.AbsolutePath) : null;
    }

    /// <summary>
    /// A stale object that may not be served as is: ask the origin with its validators. A 304 serves the stored body
    /// with refreshed freshness; a new body replaces it; an origin failure serves it within <c>stale-if-error</c>,
    /// else 504.
    /// </summary>
    private async ValueTask<Outcome> RevalidateAsync(HttpContext context, UInt128 hash, CacheLease lease, FreshnessState state, bool isHead)
    {
        var key = Variants.BaseOf(lease.Metadata.Key);
        var fill = _fills.GetOrStart(hash, key, out var leader, lease.Metadata, forwarded: Forwarded(context.Request));
        if (fill is null)
        {
            return new Outcome(CacheResult.Miss, 0, Retry: true);
        }

        try
        {
            FillHead head;
            try
            {
                head = await fill.Head.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return new Outcome(CacheResult.Miss, 0);
            }

            switch (head.Outcome)
            {
                case FillOutcome.NotModified:
                    return await ServeAsync(context, lease.Handle, head.Metadata!, _statusRevalidated, fill: null, isHead, CacheResult.Revalidated, lease.Checksums, Freshness.Evaluate(head.Metadata!, _time.GetUtcNow()).AgeSeconds);
                case FillOutcome.OriginError or FillOutcome.OriginTimeout when state.MayServeOnError:
                case FillOutcome.Body when head.ServerError && state.MayServeOnError:
                    _metrics.StaleServed.WithLabels("stale_if_error").Inc();
                    return await ServeAsync(context, lease.Handle, lease.Metadata, _statusStaleIfError, fill: null, isHead, CacheResult.Stale, lease.Checksums, state.AgeSeconds);
                case FillOutcome.OriginError or FillOutcome.OriginTimeout:
                    context.Response.Headers[CacheStatus.HeaderName] = CacheStatus.Miss(null, _nodeToken, false, !leader, "origin-unavailable", "stale");
                    await WriteTextAsync(context, StatusCodes.Status504GatewayTimeout, $"gateway timeout: the stored copy is stale beyond what may be served and the origin failed: {head.Detail}\n");
                    return new Outcome(CacheResult.Error, 0);
                case FillOutcome.Body when !head.Storable && head.StatusCode is 404 or 410:
                    // The origin no longer has it: the stored copy goes (a storable answer replaces it anyway).
                    _cache.Remove(hash);
                    break;
            }

            return await ServeFillAsync(context, fill, leader, isHead, forward: "stale");
        }
        finally
        {
            fill.Leave();
        }
    }

    /// <summary>Serves from a fill this request has joined.</summary>
    private async ValueTask<Outcome> ServeFillAsync(HttpContext context, OriginFill fill, bool leader, bool isHead, string forward = "miss")
    {
        FillHead head;
        try
        {
            head = await fill.Head.WaitAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return new Outcome(CacheResult.Miss, 0);
        }

        var result = leader ? CacheResult.Miss : CacheResult.Collapsed;
        if (!leader)
        {
            _metrics.CollapsedRequests.Inc();
        }

        var cacheStatus = CacheStatus.Miss(head.UpstreamCacheStatus, _nodeToken, head.Storable, collapsed: !leader, head.Outcome switch
        {
            FillOutcome.OriginError => "origin-error",
            FillOutcome.OriginTimeout => "origin-timeout",
            FillOutcome.NodeBusy => "node-busy",
            _ when !fill.Admit => "not-admitted",
            _ => null,
        }, forward);

        switch (head.Outcome)
        {
            case FillOutcome.NotModified:
                // Joined someone's revalidation without a copy of our own: the refreshed object is in the cache now.
                return new Outcome(result, 0, Retry: true);
            case FillOutcome.OriginError:
                context.Response.Headers[CacheStatus.HeaderName] = cacheStatus;
                await WriteTextAsync(context, StatusCodes.Status502BadGateway, $"bad gateway: {head.Detail}\n");
                return new Outcome(CacheResult.Error, 0);
            case FillOutcome.OriginTimeout:
                context.Response.Headers[CacheStatus.HeaderName] = cacheStatus;
                await WriteTextAsync(context, StatusCodes.Status504GatewayTimeout, $"gateway timeout: {head.Detail}\n");
                return new Outcome(CacheResult.Error, 0);
            case FillOutcome.NodeBusy:
                context.Response.Headers[CacheStatus.HeaderName] = cacheStatus;
                await WriteOutOfDescriptorsAsync(context);
                return new Outcome(CacheResult.Error, 0);
        }

        var ownVariant = head.Vary is { } vary && !leader
            && !string.Equals(Variants.KeyFor(fill.Key, vary, name => RequestValue(context.Request, name)), head.VariantKey, StringComparison.Ordinal);
        if ((!head.Shareable || ownVariant) && !leader)
        {
            // An uncacheable response, or another variant than this request selects, is not shared: a fetch of its own.
            var own = _fills.StartPrivate(fill.Hash, fill.Key, Forwarded(context.Request));
            try
            {
                return await ServeFillAsync(context, own, leader: true, isHead);
            }
            finally
            {
                own.Leave();
            }
        }

        return await ServeAsync(context, fill.Handle!, head.Metadata!, cacheStatus, fill, isHead, result);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> ServeAsync(HttpContext context, SafeFileHandle? handle, ObjectMetadata metadata, StringValues cacheStatus, OriginFill? fill, bool isHead, CacheResult result, ulong[]? checksums = null, double? age = null, byte[]? memoryBody = null)
    {
        var request = context.Request;
        var response = context.Response;
        var headers = response.Headers;
        var values = metadata.Headers;
        headers[CacheStatus.HeaderName] = cacheStatus;
        headers.Age = AgeText((long)(age ?? metadata.InitialAgeSeconds));
        foreach (var (name, value) in values.Fields)
        {
            headers[name] = value;
        }

        var status = metadata.StatusCode;
        response.StatusCode = status;
        if (status is >= 200 and < 300)
        {
            // Preconditions apply to what would otherwise be a 2xx (RFC 9110 §13.2.1).
            switch (Preconditions.Evaluate(request.Headers, metadata.ETag, metadata.LastModified))
            {
                case PreconditionResult.NotModified:
                    response.StatusCode = StatusCodes.Status304NotModified;
                    return new Outcome(result, 0);
                case PreconditionResult.Failed:
                    response.StatusCode = StatusCodes.Status412PreconditionFailed;
                    headers.ContentType = StringValues.Empty;
                    headers.ContentEncoding = StringValues.Empty;
                    response.ContentLength = 0;
                    return new Outcome(result, 0);
            }
        }

        if (status is 204 or 304)
        {
            return new Outcome(result, 0);
        }

        var length = metadata.ContentLength;
        long start = 0;
        long count = length;
        if (length >= 0)
        {
            if (status == 200)
            {
                headers.AcceptRanges = AcceptRangesBytes;
                var rangeHeader = request.Headers.Range;

                // Range is defined for GET only (RFC 9110 §14.2).
                if (!isHead && !StringValues.IsNullOrEmpty(rangeHeader) && rangeHeader.Count == 1
                    && Preconditions.IfRangeAllows(request.Headers.IfRange, metadata.ETag, metadata.LastModified))
                {
                    switch (ByteRangeParser.Parse(rangeHeader[0], length, out var range))
                    {
                        case RangeKind.Single:
                            response.StatusCode = StatusCodes.Status206PartialContent;
                            headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {range.Start}-{range.End}/{length}");
                            (start, count) = (range.Start, range.Length);
                            break;
                        case RangeKind.Unsatisfiable:
                            response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                            headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes */{length}");
                            headers.ContentType = StringValues.Empty;
                            headers.ContentEncoding = StringValues.Empty;
                            response.ContentLength = 0;
                            return new Outcome(result, 0);
                    }
                }
            }

            response.ContentLength = count;
        }

        if (isHead)
        {
            return new Outcome(result, 0);
        }

        try
        {
            long copied;
            if (memoryBody is not null)
            {
                copied = await WriteMemoryAsync(response.BodyWriter, memoryBody.AsMemory((int)start, (int)count), _stalls.For(context), context.RequestAborted);
            }
            else
            {
                copied = checksums is null
                    ? await CopyAsync(response.BodyWriter, handle!, start, count, fill, _stalls.For(context), context.RequestAborted)
                    : await CopyVerifiedAsync(response.BodyWriter, handle!, checksums, length, start, count, _stalls.For(context), context.RequestAborted);
            }
            return new Outcome(result, copied);
        }
        catch (CorruptObjectException ex)
        {
            _metrics.IntegrityFailures.Inc();
            LogCorrupt(_logger, metadata.Key, ex.Message);
            if (!response.HasStarted)
            {
                // Caught before any byte was sent: drop the object and fill it again.
                _cache.Remove(CacheKey.Hash(metadata.Key));
                return new Outcome(CacheResult.Error, 0, Retry: true);
            }

            // Bytes already sent were verified; the bad chunk is not sent. Cut the response and drop the object.
            _cache.Remove(CacheKey.Hash(metadata.Key));
            context.Abort();
            return new Outcome(CacheResult.Error, 0);
        }
        catch (OperationCanceledException)
        {
            // The client went away.
            return new Outcome(result, 0);
        }
        catch (IOException ex)
        {
            if (fill is null && memoryBody is null)
            {
                // A cached file that cannot be read: its disk is checked, and the request is filled elsewhere if nothing was sent.
                var unreadable = CacheKey.Hash(metadata.Key);
                _cache.ReportReadError(unreadable, ex);
                _cache.Remove(unreadable);
                if (!response.HasStarted)
                {
                    return new Outcome(CacheResult.Error, 0, Retry: true);
                }
            }

            // Headers are out; the only honest thing left is to cut the connection, never to end a short body cleanly.
            LogResponseAborted(_logger, metadata.Key, ex.Message);
            context.Abort();
            return new Outcome(CacheResult.Error, 0);
        }
    }

    /// <summary>
    /// Copies <paramref name="count"/> body bytes from <paramref name="start"/> (or to the end when -1),
    /// waiting on <paramref name="fill"/> for bytes that have not arrived yet.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal static async ValueTask<long> CopyAsync(PipeWriter writer, SafeFileHandle handle, long start, long count, OriginFill? fill, StalledWrites.Watch watch, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        var position = start;
        var end = count < 0 ? long.MaxValue : start + count;
        try
        {
            while (position < end)
            {
                var available = end;
                if (fill is not null)
                {
                    available = Math.Min(end, await fill.WaitForAsync(position, cancellationToken));
                    if (available <= position)
                    {
                        if (count >= 0)
                        {
                            throw new FillFailedException("fill ended before the announced length");
                        }

                        break;
                    }
                }

                var want = (int)Math.Min(buffer.Length, available - position);
                var read = RandomAccess.Read(handle, buffer.AsSpan(0, want), ObjectFile.HeaderSize + position);
                if (read <= 0)
                {
                    throw new IOException("cached object is shorter than its metadata says");
                }

                position += read;
                var flush = await watch.Await(writer.WriteAsync(buffer.AsMemory(0, read), cancellationToken));
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return position - start;
    }

    /// <summary>
    /// Writes a body held in memory a chunk at a time, waiting for the socket between chunks, so a slow reader
    /// never makes the node copy a whole segment into its output buffers at once.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal static async ValueTask<long> WriteMemoryAsync(PipeWriter writer, ReadOnlyMemory<byte> body, StalledWrites.Watch watch, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (sent < body.Length)
        {
            var take = Math.Min(ObjectFile.ChunkSize, body.Length - sent);
            var flush = await watch.Await(writer.WriteAsync(body.Slice(sent, take), cancellationToken));
            sent += take;
            if (flush.IsCompleted || flush.IsCanceled)
            {
                break;
            }
        }

        return sent;
    }

    /// <summary>
    /// Copies a cached body chunk by chunk, checking each 64 KiB chunk against its checksum before any of it is
    /// written, so corrupt bytes never leave the node. Reads are chunk-aligned; a range sends a slice.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal static async ValueTask<long> CopyVerifiedAsync(PipeWriter writer, SafeFileHandle handle, ulong[] checksums, long contentLength, long start, long count, StalledWrites.Watch watch, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ObjectFile.ChunkSize);
        var position = start;
        var end = start + count;
        try
        {
            while (position < end)
            {
                var chunk = (int)(position / ObjectFile.ChunkSize);
                var chunkStart = (long)chunk * ObjectFile.ChunkSize;
                if (chunk >= checksums.Length)
                {
                    throw new CorruptObjectException("body is longer than its checksum table");
                }

                // Whole chunks are read and checked, whatever slice of them is sent.
                var want = (int)Math.Min(ObjectFile.ChunkSize, contentLength - chunkStart);
                if (position == chunkStart && end - chunkStart >= want)
                {
                    // A whole chunk is sent: read it straight into the response buffer, and commit it only once checked.
                    var memory = writer.GetMemory(want);
                    var direct = RandomAccess.Read(handle, memory.Span[..want], ObjectFile.HeaderSize + chunkStart);
                    if (direct != want || ObjectFile.Checksum(memory.Span[..want]) != checksums[chunk])
                    {
                        throw new CorruptObjectException($"chunk {chunk} does not match its checksum");
                    }

                    writer.Advance(want);
                    position += want;
                    var flushed = await watch.Await(writer.FlushAsync(cancellationToken));
                    if (flushed.IsCompleted || flushed.IsCanceled)
                    {
                        break;
                    }

                    continue;
                }

                var read = RandomAccess.Read(handle, buffer.AsSpan(0, want), ObjectFile.HeaderSize + chunkStart);
                if (read != want || ObjectFile.Checksum(buffer.AsSpan(0, want)) != checksums[chunk])
                {
                    throw new CorruptObjectException($"chunk {chunk} does not match its checksum");
                }

                var from = (int)(position - chunkStart);
                var to = (int)Math.Min(want, end - chunkStart);
                position += to - from;
                var flush = await watch.Await(writer.WriteAsync(buffer.AsMemory(from, to - from), cancellationToken));
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return position - start;
    }

    private void SetCommonHeaders(IHeaderDictionary headers)
    {
        headers[CacheStatus.HeaderName] = _statusBypass;
        if (!StringValues.IsNullOrEmpty(_corsOrigin))
        {
            headers.AccessControlAllowOrigin = _corsOrigin;
            headers.AccessControlExposeHeaders = ExposedHeaders;
        }
    }

    private void WriteOptions(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.Allow = AllowedMethods;
        if (!StringValues.IsNullOrEmpty(_corsOrigin) && !StringValues.IsNullOrEmpty(context.Request.Headers.AccessControlRequestMethod))
        {
            headers.AccessControlAllowMethods = AllowedMethods;
            headers.AccessControlAllowHeaders = AllowedRequestHeaders;
            headers.AccessControlMaxAge = PreflightMaxAge;
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static Task WriteOutOfDescriptorsAsync(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "1";
        context.Response.Headers.CacheControl = "no-store";
        return WriteTextAsync(context, StatusCodes.Status503ServiceUnavailable, "service unavailable: the node is out of file descriptors; retry\n");
    }

    internal static Task WriteTextAsync(HttpContext context, int status, string text) => PlainText.WriteAsync(context, status, text);

    private sealed class CountingCopy
    {
        public long Bytes { get; private set; }

        public async Task CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    Bytes += read;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Cached object {Key} is corrupt and was dropped: {Reason}")]
    private static partial void LogCorrupt(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Forwarding a request for {Key} to the origin failed: {Reason}")]
    private static partial void LogForwardFailed(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Response for {Key} aborted mid-body: {Reason}")]
    private static partial void LogResponseAborted(ILogger logger, string key, string reason);

    /// <summary>Per-request facts collected for metrics.</summary>
    private readonly record struct Outcome(CacheResult Result, long Bytes, bool Retry = false);
}
