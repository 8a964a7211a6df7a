using System.Net;
using System.Text;
using Edge.EdgeServer.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Origin;

/// <summary>HTTP client for the node's fill source (an origin or a parent edge node).</summary>
internal sealed class OriginClient : IDisposable
{
    private readonly HttpClient _client;
    private readonly string _baseUrl;
    private readonly string _via;
    private readonly string? _capability;

    public OriginClient(IOptions<EdgeOptions> options)
    {
        var value = options.Value;
        _baseUrl = value.OriginUrl.TrimEnd('/');
        _via = "1.1 " + value.NodeId;
        SurrogateTarget = value.NodeId.Length > 0 && value.NodeId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') ? value.NodeId : null;
        _capability = SurrogateTarget is null ? null : SurrogateTarget + "=\"Surrogate/1.0\"";
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = value.OriginConnectTimeout,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            // Re-resolve the origin's name now and then so a moved origin is followed.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            // Header bytes are kept as they came (obs-text included): one byte, one character.
            ResponseHeaderEncodingSelector = static (_, _) => Encoding.Latin1,
            RequestHeaderEncodingSelector = static (_, _) => Encoding.Latin1,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The origin URL of a cache key: its path escaped, its query (already in escaped form) as it is.</summary>
    public string UrlFor(string key)
    {
        var query = key.IndexOf('?', StringComparison.Ordinal);
        return query < 0
            ? _baseUrl + new PathString(key).ToUriComponent()
            : _baseUrl + new PathString(key[..query]).ToUriComponent() + key[query..];
    }

    /// <summary>The device token origins may aim <c>Surrogate-Control</c> directives at (the node id), sent in <c>Surrogate-Capability</c>.</summary>
    public string? SurrogateTarget { get; }

    /// <summary>The node's <c>Via</c> entry (RFC 9110 §7.6.3).</summary>
    public string Via => _via;

    /// <summary>
    /// GETs <paramref name="key"/> with the client's end-to-end fields; with a <paramref name="stale"/> copy,
    /// conditionally on its validators.
    /// </summary>
    public Task<HttpResponseMessage> GetAsync(string key, CancellationToken cancellationToken, Caching.ObjectMetadata? stale = null, ForwardedRequest? forwarded = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, UrlFor(key));
        forwarded ??= ForwardedRequest.None;
        foreach (var (name, values) in forwarded.Fields)
        {
            request.Headers.TryAddWithoutValidation(name, values);
        }

        request.Headers.TryAddWithoutValidation("Via", forwarded.Via is null ? _via : forwarded.Via + ", " + _via);
        if (forwarded.ForwardedFor is { } forwardedFor)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        }

        if (_capability is not null)
        {
            request.Headers.TryAddWithoutValidation("Surrogate-Capability", _capability);
        }

        if (stale?.OriginETag is { } etag)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }

        if (stale is { OriginLastModified: true })
        {
            request.Headers.IfModifiedSince = stale.LastModified;
        }

        return _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>Forwards a request the cache does not answer (POST, PUT, DELETE...) with its body.</summary>
    public Task<HttpResponseMessage> ForwardAsync(string method, string key, Stream body, string? contentType, long? contentLength, ForwardedRequest forwarded, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), UrlFor(key));
        foreach (var (name, values) in forwarded.Fields)
        {
            request.Headers.TryAddWithoutValidation(name, values);
        }

        request.Headers.TryAddWithoutValidation("Via", forwarded.Via is null ? _via : forwarded.Via + ", " + _via);
        if (forwarded.ForwardedFor is { } forwardedFor)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        }
        if (contentLength is > 0 || contentType is not null)
        {
            request.Content = new StreamContent(body);
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }

            if (contentLength is { } length)
            {
                request.Content.Headers.ContentLength = length;
            }
        }

        return _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    public void Dispose() => _client.Dispose();
}
