using Edge.Contracts;
using Edge.EdgeServer.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Edge.EdgeServer.Serving;

/// <summary>
/// The first step of the edge's request path: everything decided from the request alone, before any cache or origin
/// work. Methods the cache does not serve, CORS preflights, signed-URL tokens, path validity and the allowed file
/// types; a request that passes leaves with its cache key.
/// </summary>
internal sealed class RequestGate
{
    private static readonly StringValues AllowedMethods = "GET, HEAD, OPTIONS";
    private static readonly StringValues ExposedHeaders = "Cache-Status, Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, Age";
    private static readonly StringValues AllowedRequestHeaders = "Range, If-Range, If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since";
    private static readonly StringValues PreflightMaxAge = "86400";

    private readonly TimeProvider _time;
    private readonly int _maxPathLength;
    private readonly UrlSignature _signature;
    private readonly bool _signingRequired;
    private readonly bool _forwardUnsafe;
    private readonly CacheKeyPolicy _keys;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>>? _allowedExtensions;
    private readonly StringValues _corsOrigin;
    private readonly string _nodeToken;

    public RequestGate(IOptions<EdgeOptions> options, TimeProvider time)
    {
        var value = options.Value;
        _time = time;
        _maxPathLength = value.MaxPathLength;
        _signature = new UrlSignature(value.UrlSigning.ParsedKeys());
        _signingRequired = value.UrlSigning.Required;
        _forwardUnsafe = value.ForwardUnsafeMethods;
        _keys = new CacheKeyPolicy(value.CacheKey);

        // Looked up by span, so a request's extension is never copied into a string.
        _allowedExtensions = value.AllowedExtensions.Count > 0
            ? new HashSet<string>(value.AllowedExtensions, StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>()
            : null;
        _corsOrigin = value.CorsAllowOrigin;
        _nodeToken = CacheStatus.Identifier(value.NodeId);
        Bypass = _nodeToken + "; fwd=bypass";
    }

    /// <summary><c>Cache-Status</c> of a response that never touched the cache.</summary>
    public StringValues Bypass { get; }

    /// <summary>
    /// Checks <paramref name="context"/>'s request; returns its cache key (the validated path without any signing
    /// token, and the query as the key policy keeps it), or null once the refusal or preflight answer is written.
    /// </summary>
    public ValueTask<string?> PassAsync(HttpContext context)
    {
        var request = context.Request;
        var headers = context.Response.Headers;
        SetCommonHeaders(headers);

        var method = request.Method;
        if (HttpMethods.IsOptions(method))
        {
            WriteOptions(context);
            return default;
        }

        if (HttpMethods.IsTrace(method) || HttpMethods.IsConnect(method) || (!_forwardUnsafe && !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method)))
        {
            headers.Allow = AllowedMethods;
            return Refuse(context, StatusCodes.Status405MethodNotAllowed, HttpMethods.IsTrace(method) || HttpMethods.IsConnect(method)
                ? "method not allowed\n"
                : "method not allowed: this edge serves GET and HEAD\n");
        }

        var path = request.Path.Value;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? path;
        if (_signature.Enabled && path is not null)
        {
            // Checked before any disk or origin work; the token never becomes part of the cache key.
            var failure = SignatureFailure.Missing;
            if (UrlSignature.TrySplit(path, out var token, out var rest))
            {
                failure = _signature.Verify(token, rest, context.Connection.RemoteIpAddress, _time.GetUtcNow());
                if (failure == SignatureFailure.None)
                {
                    path = rest;
                    rawTarget = rawTarget is not null && rawTarget.StartsWith(UrlSignature.Marker + token, StringComparison.Ordinal) ? rawTarget[(UrlSignature.Marker.Length + token.Length)..] : rest;
                }
            }

            if (failure != SignatureFailure.None && (_signingRequired || failure != SignatureFailure.Missing))
            {
                var reason = UrlSignature.ReasonCode(failure);
                headers[CacheStatus.HeaderName] = _nodeToken + "; fwd=bypass; detail=" + reason;
                return Refuse(context, StatusCodes.Status403Forbidden, $"forbidden: {reason}\n");
            }
        }

        switch (RequestPath.Check(path, rawTarget, _maxPathLength))
        {
            case PathCheck.BadRequest:
                return Refuse(context, StatusCodes.Status400BadRequest, "bad request: the path is not a valid object path\n");
            case PathCheck.NotFound:
                return Refuse(context, StatusCodes.Status404NotFound, "not found\n");
            case PathCheck.TooLong:
                return Refuse(context, StatusCodes.Status414UriTooLong, "the request path is too long\n");
        }

        if (_allowedExtensions is { } allowed && !allowed.Contains(Path.GetExtension(path.AsSpan())))
        {
            return Refuse(context, StatusCodes.Status403Forbidden, "forbidden: this file type is not served\n");
        }

        // The query, as the key policy keeps it, is part of the key and of what the origin is sent.
        return new ValueTask<string?>(_keys.KeyFor(path!, request.QueryString.Value));
    }

    /// <summary>
    /// The cache key of another object a client named (a CMCD <c>nor</c>), by the same rules as its own request:
    /// signature, path validity and file types; null when the client could not ask for it directly.
    /// </summary>
    public string? KeyForOther(HttpContext context, string path, string rawTarget, string? query)
    {
        if (_signature.Enabled)
        {
            var failure = SignatureFailure.Missing;
            if (UrlSignature.TrySplit(path, out var token, out var rest))
            {
                failure = _signature.Verify(token, rest, context.Connection.RemoteIpAddress, _time.GetUtcNow());
                if (failure == SignatureFailure.None)
                {
                    path = rest;
                    rawTarget = rawTarget.StartsWith(UrlSignature.Marker + token, StringComparison.Ordinal) ? rawTarget[(UrlSignature.Marker.Length + token.Length)..] : rest;
                }
            }

            if (failure != SignatureFailure.None && (_signingRequired || failure != SignatureFailure.Missing))
            {
                return null;
            }
        }

        if (RequestPath.Check(path, rawTarget, _maxPathLength) != PathCheck.Ok
            || (_allowedExtensions is { } allowed && !allowed.Contains(Path.GetExtension(path.AsSpan()))))
        {
            return null;
        }

        return _keys.KeyFor(path, query);
    }

    /// <summary>Sets the headers every response of the edge carries; the stored response's own fields may override them.</summary>
    public void SetCommonHeaders(IHeaderDictionary headers)
    {
        headers[CacheStatus.HeaderName] = Bypass;
        if (!StringValues.IsNullOrEmpty(_corsOrigin))
        {
            headers.AccessControlAllowOrigin = _corsOrigin;
            headers.AccessControlExposeHeaders = ExposedHeaders;
        }
    }

    private static async ValueTask<string?> Refuse(HttpContext context, int status, string text)
    {
        await PlainText.WriteAsync(context, status, text);
        return null;
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
}
