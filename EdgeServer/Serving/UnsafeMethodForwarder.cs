using System.Buffers;
using Edge.Contracts;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Metrics;
using Edge.EdgeServer.Origin;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Serving;

/// <summary>
/// Passes a request the cache cannot answer (POST, PUT, DELETE, PATCH...) to the origin, uncached, when
/// <c>Edge:ForwardUnsafeMethods</c> allows it; on success invalidates the stored target and any same-site
/// <c>Location</c> or <c>Content-Location</c> (RFC 9111 §4.4).
/// </summary>
internal sealed partial class UnsafeMethodForwarder
{
    private readonly DiskCache _cache;
    private readonly FillCoordinator _fills;
    private readonly OriginClient _origin;
    private readonly EdgeMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<UnsafeMethodForwarder> _logger;
    private readonly int _maxPathLength;
    private readonly Uri _originUrl;
    private readonly TimeSpan _originTimeout;
    private readonly string _status;
    private readonly IReadOnlyList<string> _stripped;

    public UnsafeMethodForwarder(DiskCache cache, FillCoordinator fills, OriginClient origin, EdgeMetrics metrics, TimeProvider time, IOptions<EdgeOptions> options, ILogger<UnsafeMethodForwarder> logger)
    {
        _cache = cache;
        _fills = fills;
        _origin = origin;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        var value = options.Value;
        _maxPathLength = value.MaxPathLength;
        _originUrl = Uri.TryCreate(value.OriginUrl, UriKind.Absolute, out var originUrl) ? originUrl : new Uri("http://origin.invalid");
        _originTimeout = value.OriginResponseTimeout;
        _status = CacheStatus.Identifier(value.NodeId) + "; fwd=method";
        _stripped = value.StrippedRequestHeaders();
    }

    /// <summary>Forwards the request; returns the body bytes relayed to the client.</summary>
    public async ValueTask<long> ForwardAsync(HttpContext context, UInt128 hash, string key)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers[CacheStatus.HeaderName] = _status;

        // Unsafe methods are never collapsed, so they queue for the same origin slots as fills do.
        if (!await _fills.TakeForwardSlotAsync())
        {
            response.Headers.RetryAfter = "1";
            await PlainText.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "service unavailable: the origin is busy\n");
            return 0;
        }

        try
        {
            HttpResponseMessage upstream;
            using var timeout = new CancellationTokenSource(_originTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.RequestAborted);
            try
            {
                upstream = await _origin.ForwardAsync(request.Method, key, request.Body, request.ContentType, request.ContentLength, ForwardedRequest.From(request, _stripped), linked.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                await PlainText.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "gateway timeout: the origin did not answer in time\n");
                return 0;
            }
            catch (HttpRequestException ex)
            {
                LogForwardFailed(_logger, key, ex.Message);
                await PlainText.WriteAsync(context, StatusCodes.Status502BadGateway, "bad gateway: origin unreachable\n");
                return 0;
            }

            return await RelayAsync(context, upstream, hash);
        }
        finally
        {
            _fills.ReleaseOriginSlot();
        }
    }

    private async ValueTask<long> RelayAsync(HttpContext context, HttpResponseMessage upstream, UInt128 hash)
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

            var body = await upstream.Content.ReadAsStreamAsync(context.RequestAborted);
            await using (body)
            {
                return await CopyAsync(body, response.Body, context.RequestAborted);
            }
        }
    }

    private static async Task<long> CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        long bytes = 0;
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                bytes += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return bytes;
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

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Forwarding a request for {Key} to the origin failed: {Reason}")]
    private static partial void LogForwardFailed(ILogger logger, string key, string reason);
}
