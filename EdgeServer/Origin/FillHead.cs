using Edge.EdgeServer.Caching;

namespace Edge.EdgeServer.Origin;

internal enum FillOutcome
{
    /// <summary>The origin answered (any status); its body streams through the fill's temporary file.</summary>
    Body,

    /// <summary>The origin could not be reached or failed; the client gets 502.</summary>
    OriginError,

    /// <summary>The origin did not answer in time; the client gets 504.</summary>
    OriginTimeout,

    /// <summary>A revalidation's 304: the stored object is fresh again and was refreshed in place.</summary>
    NotModified,

    /// <summary>The node itself is out of a resource (file descriptors); the client gets 503 with <c>Retry-After</c>.</summary>
    NodeBusy,
}

/// <summary>What the origin answered, known before its body: enough for every waiting client to send headers.</summary>
internal sealed class FillHead
{
    public required FillOutcome Outcome { get; init; }

    /// <summary>For <see cref="FillOutcome.Body"/>; <c>ContentLength</c> is -1 while the origin did not say.</summary>
    public ObjectMetadata? Metadata { get; init; }

    /// <summary>Whether the object will be published to the cache when the fill completes.</summary>
    public bool Storable { get; init; }

    /// <summary>Whether other clients may read this response (false for what may not be stored, such as <c>private</c> and <c>no-store</c>).</summary>
    public bool Shareable { get; init; }

    public int StatusCode { get; init; }

    /// <summary>
    /// The request fields the response varies by (lower case), or null: a client joining the fill shares it only when
    /// its own values select the same variant (<see cref="VariantKey"/>).
    /// </summary>
    public string[]? Vary { get; init; }

    /// <summary>The key the response is stored under: the variant's key when it varies, else the object's.</summary>
    public string? VariantKey { get; init; }

    /// <summary>A revalidation was answered with a server error (5xx): a stale copy may be served instead (RFC 5861).</summary>
    public bool ServerError { get; init; }

    /// <summary>The upstream's own <c>Cache-Status</c>, which this node's entry is appended to (RFC 9211).</summary>
    public string? UpstreamCacheStatus { get; init; }

    public string Detail { get; init; } = "";
}

/// <summary>The fill failed after its headers were sent; the response must be aborted, never completed.</summary>
internal sealed class FillFailedException(string message) : IOException(message);
