using System.Diagnostics;
using Edge.Contracts;
using Edge.Contracts.AccessLogging;
using System.Runtime.CompilerServices;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Cmcd;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Live;
using Edge.EdgeServer.Metrics;
using Edge.EdgeServer.Origin;
using Edge.EdgeServer.Serving.Bodies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Edge.EdgeServer.Serving;

/// <summary>
/// The edge's request path, made of small steps: the <see cref="RequestGate"/> decides from the request alone, the
/// <see cref="CacheLookup"/> finds what is stored, a hit is served, a stale copy revalidated, a miss joined to its
/// origin fill; every response is written by <see cref="ResponseHead"/> and a <see cref="BodySource"/>.
/// </summary>
internal sealed partial class EdgeRequestHandler
{
    private const int MaxAttempts = 3;

    private readonly RequestGate _gate;
    private readonly CacheLookup _lookup;
    private readonly UnsafeMethodForwarder _forwarder;
    private readonly DiskCache _cache;
    private readonly FillCoordinator _fills;
    private readonly Doorkeeper _doorkeeper;
    private readonly TimeProvider _time;
    private readonly StalledWrites _stalls;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger<EdgeRequestHandler> _logger;
    private readonly IReadOnlyList<string> _strippedRequestHeaders;
    private readonly string _nodeToken;
    private readonly StringValues _statusHit;
    private readonly StringValues _statusStaleWhileRevalidate;
    private readonly StringValues _statusMemoryHit;
    private readonly StringValues _statusRevalidated;
    private readonly StringValues _statusStaleIfError;
    private readonly PartTargets _liveFolders;
    private readonly long _directSendMinBytes;
    private readonly CmcdQuality _quality;
    private readonly NextObjectPrefetch _prefetch;

    public EdgeRequestHandler(RequestGate gate, CacheLookup lookup, UnsafeMethodForwarder forwarder, DiskCache cache, Doorkeeper doorkeeper, FillCoordinator fills, EdgeMetrics metrics, StalledWrites stalls, TimeProvider time, IOptions<EdgeOptions> options, ILogger<EdgeRequestHandler> logger, PartTargets liveFolders, CmcdQuality quality, NextObjectPrefetch prefetch)
    {
        _quality = quality;
        _prefetch = prefetch;
        _liveFolders = liveFolders;
        _gate = gate;
        _lookup = lookup;
        _forwarder = forwarder;
        _stalls = stalls;
        _cache = cache;
        _doorkeeper = doorkeeper;
        _fills = fills;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        var value = options.Value;
        _strippedRequestHeaders = value.StrippedRequestHeaders();
        _directSendMinBytes = Math.Max(1, value.Transport.DirectSendMinBytes);
        _nodeToken = CacheStatus.Identifier(value.NodeId);
        _statusHit = _nodeToken + "; hit";
        _statusStaleWhileRevalidate = _nodeToken + "; hit; detail=stale-while-revalidate";
        _statusMemoryHit = _nodeToken + "; hit; detail=memory";
        _statusRevalidated = _nodeToken + "; fwd=stale; fwd-status=304";
        _statusStaleIfError = _nodeToken + "; fwd=stale; detail=stale-if-error";
    }

    /// <summary><c>Cache-Status</c> for responses that never touch the cache (health, metrics, bad requests).</summary>
    public StringValues BypassStatus => _gate.Bypass;

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
            Log(context, outcome);
            return Task.CompletedTask;
        }

        return AwaitAsync(context, handling, started);
    }

    internal static Task WriteTextAsync(HttpContext context, int status, string text) => PlainText.WriteAsync(context, status, text);

    private async Task AwaitAsync(HttpContext context, ValueTask<Outcome> handling, long started)
    {
        var outcome = new Outcome(CacheResult.Bypass, 0);
        try
        {
            outcome = await handling;
        }
        catch (IOException ex) when (FileLimits.IsOutOfDescriptors(ex))
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
            Log(context, outcome);
        }
    }

    /// <summary>A player's CMCD: counted, logged, and its next object prefetched.</summary>
    private void Observe(HttpContext context, CmcdData cmcd)
    {
        _quality.Record(cmcd);
        context.Features.Get<AccessRecord>()?.SetExtra(CmcdLogFields.Writer, cmcd);
        if (cmcd.NextObject is { } next)
        {
            _prefetch.Consider(context, next);
        }
    }

    /// <summary>What only the cache knows goes into the request's access log line.</summary>
    private static void Log(HttpContext context, Outcome outcome)
    {
        if (context.Features.Get<AccessRecord>() is { } record)
        {
            // A refusal or an error is a short text the cache did not count: the log takes its Content-Length.
            record.Bytes = outcome.Bytes == 0 && outcome.Result is CacheResult.Bypass or CacheResult.Error ? -1 : outcome.Bytes;
            record.Cache = EdgeMetrics.NameOf(outcome.Result);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> HandleAsync(HttpContext context)
    {
        var passing = _gate.PassAsync(context);
        var key = passing.IsCompletedSuccessfully ? passing.Result : await passing;
        if (key is null)
        {
            return default;
        }

        var request = context.Request;
        if (CmcdData.IsPresent(request) && CmcdData.From(request) is { } cmcd)
        {
            Observe(context, cmcd);
        }

        var hash = CacheKey.Hash(key);
        var isHead = HttpMethods.IsHead(request.Method);
        if (!isHead && !HttpMethods.IsGet(request.Method))
        {
            return new Outcome(CacheResult.Bypass, await _forwarder.ForwardAsync(context, hash, key));
        }

        bool? admit = null;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            Outcome served;
            using (var found = _lookup.Find(request, key, hash))
            {
                served = found.Kind switch
                {
                    LookupKind.Memory => await ServeMemoryAsync(context, found, isHead),
                    LookupKind.Stored => await ServeStoredAsync(context, found, isHead),
                    _ => await ServeMissAsync(context, found, key, isHead, admit ??= Admit(hash, key)),
                };
            }

            if (!served.Retry)
            {
                return served;
            }

            // A corrupt object caught before any byte was sent, or a fill or revalidation that raced another: look again.
            context.Response.Clear();
            _gate.SetCommonHeaders(context.Response.Headers);
        }

        // Only reached if the object is evicted between each fill finishing and the next lookup.
        await WriteTextAsync(context, StatusCodes.Status503ServiceUnavailable, "the object changed while being served; retry\n");
        return new Outcome(CacheResult.Error, 0);
    }

    private ValueTask<Outcome> ServeMemoryAsync(HttpContext context, in Lookup found, bool isHead)
    {
        if (!found.Promoted)
        {
            _metrics.MemoryHits.Inc();
        }

        var held = found.Memory!;
        return ServeAsync(context, BodySource.FromMemory(held.Body), held.Metadata, found.Promoted ? _statusHit : _statusMemoryHit, isHead, CacheResult.Hit, found.State.AgeSeconds);
    }

    private ValueTask<Outcome> ServeStoredAsync(HttpContext context, in Lookup found, bool isHead)
    {
        var lease = found.Lease;
        var state = found.State;
        if (state.Fresh)
        {
            return ServeAsync(context, BodySource.FromDisk(lease), lease.Metadata, _statusHit, isHead, CacheResult.Hit, state.AgeSeconds);
        }

        if (state.MayServeWhileRevalidating)
        {
            _fills.RevalidateInBackground(found.Hash, lease.Metadata, Forwarded(context.Request));
            _metrics.StaleServed.WithLabels("stale_while_revalidate").Inc();
            return ServeAsync(context, BodySource.FromDisk(lease), lease.Metadata, _statusStaleWhileRevalidate, isHead, CacheResult.Hit, state.AgeSeconds);
        }

        return RevalidateAsync(context, found.Hash, lease, state, isHead);
    }

    private bool Admit(UInt128 hash, string key)
    {
        // Everything in a live playlist's folder is about to be asked for by every viewer of the event: the
        // doorkeeper's one-hit filter would only send a second request to the origin for it.
        if (_liveFolders.For(CacheKeyPolicy.PathOf(key).ToString()) is not null)
        {
            return true;
        }

        var admit = _doorkeeper.Admit(hash, key);
        if (!admit)
        {
            _metrics.AdmissionDeclined.Inc();
        }

        return admit;
    }

    /// <summary>Nothing stored: join the fill of <paramref name="found"/>'s key, or start it.</summary>
    private async ValueTask<Outcome> ServeMissAsync(HttpContext context, Lookup found, string key, bool isHead, bool admit)
    {
        var fill = _fills.GetOrStart(found.Hash, key, out var leader, admit: admit, forwarded: Forwarded(context.Request));
        if (fill is null)
        {
            return new Outcome(CacheResult.Miss, 0, Retry: true);
        }

        if (!leader && admit && !fill.Admit)
        {
            fill.AdmitNow();
        }

        try
        {
            return await ServeFillAsync(context, fill, leader, isHead);
        }
        finally
        {
            fill.Leave();
        }
    }

    private ForwardedRequest Forwarded(HttpRequest request) => ForwardedRequest.From(request, _strippedRequestHeaders);

    /// <summary>
    /// A stale object that may not be served as is: ask the origin with its validators. A 304 serves the stored body
    /// with refreshed freshness; a new answer replaces it; a failure or a server error serves it within
    /// <c>stale-if-error</c>, else the origin's answer, or 504 when there was none.
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
                    return await ServeAsync(context, BodySource.FromDisk(lease), head.Metadata!, _statusRevalidated, isHead, CacheResult.Revalidated, Freshness.Evaluate(head.Metadata!, _time.GetUtcNow()).AgeSeconds);
                case FillOutcome.OriginError or FillOutcome.OriginTimeout when state.MayServeOnError:
                case FillOutcome.Body when head.ServerError && state.MayServeOnError:
                    _metrics.StaleServed.WithLabels("stale_if_error").Inc();
                    return await ServeAsync(context, BodySource.FromDisk(lease), lease.Metadata, _statusStaleIfError, isHead, CacheResult.Stale, state.AgeSeconds);
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
        _metrics.FillWaiting.Inc();
        try
        {
            head = await fill.Head.WaitAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return new Outcome(CacheResult.Miss, 0);
        }
        finally
        {
            _metrics.FillWaiting.Dec();
        }

        if (context.Features.Get<AccessRecord>() is { } record)
        {
            record.UpstreamStatus = head.StatusCode;
            record.UpstreamDuration = fill.UpstreamDuration;
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
            && !string.Equals(CacheLookup.VariantKey(context.Request, fill.Key, vary), head.VariantKey, StringComparison.Ordinal);
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

        return await ServeAsync(context, BodySource.FromFill(fill), head.Metadata!, cacheStatus, isHead, result, head.Metadata!.InitialAgeSeconds);
    }

    /// <summary>Writes the response's head, then the range of the body it carries.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> ServeAsync(HttpContext context, BodySource body, ObjectMetadata metadata, StringValues cacheStatus, bool isHead, CacheResult result, double age)
    {
        var range = ResponseHead.Write(context, metadata, cacheStatus, age, isHead);
        if (!range.Send)
        {
            return new Outcome(result, 0);
        }

        var response = context.Response;
        if (context.Features.Get<AccessRecord>() is { } record)
        {
            record.FirstByte = Stopwatch.GetTimestamp();
        }

        try
        {
            var direct = DirectSendFor(context, body, range.Count);
            if (direct is not null && body.Kind == BodyKind.Memory)
            {
                // The head goes out first, so the body's stand-in reaches the connection's own writer. A disk body
                // starts the response itself, once its first chunk has been checked.
                await response.StartAsync(context.RequestAborted);
            }

            return new Outcome(result, await body.WriteAsync(response.BodyWriter, range.Start, range.Count, direct, response, _stalls.For(context), context.RequestAborted));
        }
        catch (CorruptObjectException ex)
        {
            _metrics.IntegrityFailures.Inc();
            LogCorrupt(_logger, metadata.Key, ex.Message);
            _cache.Remove(CacheKey.Hash(metadata.Key));
            if (!response.HasStarted)
            {
                // Caught before any byte was sent: the object is filled again.
                return new Outcome(CacheResult.Error, 0, Retry: true);
            }

            // Bytes already sent were verified; the bad chunk is not sent. Cut the response.
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
            if (body.Kind == BodyKind.Disk)
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

    private Transport.IDirectSendFeature? DirectSendFor(HttpContext context, BodySource body, long count) =>
        body.Kind is BodyKind.Memory or BodyKind.Disk && count >= _directSendMinBytes && !context.Request.IsHttps
            ? context.Features.Get<Transport.IDirectSendFeature>()
            : null;

    private static Task WriteOutOfDescriptorsAsync(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "1";
        context.Response.Headers.CacheControl = "no-store";
        return WriteTextAsync(context, StatusCodes.Status503ServiceUnavailable, "service unavailable: the node is out of file descriptors; retry\n");
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Cached object {Key} is corrupt and was dropped: {Reason}")]
    private static partial void LogCorrupt(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Response for {Key} aborted mid-body: {Reason}")]
    private static partial void LogResponseAborted(ILogger logger, string key, string reason);

    /// <summary>Per-request facts collected for metrics.</summary>
    private readonly record struct Outcome(CacheResult Result, long Bytes, bool Retry = false);
}
