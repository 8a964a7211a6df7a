using System.Net;
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

    public OriginClient(IOptions<EdgeOptions> options)
    {
        var value = options.Value;
        _baseUrl = value.OriginUrl.TrimEnd('/');
        _via = "1.1 " + value.NodeId;
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
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Absolute URL of <paramref name="key"/> (a validated, decoded path) at the origin.</summary>
    /// <summary>The origin URL of a cache key: its path escaped, its query (already in escaped form) as it is.</summary>
    public string UrlFor(string key)
    {
        var query = key.IndexOf('?', StringComparison.Ordinal);
        return query < 0
            ? _baseUrl + new PathString(key).ToUriComponent()
            : _baseUrl + new PathString(key[..query]).ToUriComponent() + key[query..];
    }

    /// <summary>GETs <paramref name="key"/>; with a <paramref name="stale"/> copy, conditionally on its validators.</summary>
    public Task<HttpResponseMessage> GetAsync(string key, CancellationToken cancellationToken, Caching.ObjectMetadata? stale = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, UrlFor(key));
        request.Headers.TryAddWithoutValidation("Via", _via);
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
    public Task<HttpResponseMessage> ForwardAsync(string method, string key, Stream body, string? contentType, long? contentLength, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), UrlFor(key));
        request.Headers.TryAddWithoutValidation("Via", _via);
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
