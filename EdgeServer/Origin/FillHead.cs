using Edge.EdgeServer.Caching;

namespace Edge.EdgeServer.Origin;

internal enum FillOutcome
{
    /// <summary>The origin sent a body (200); it streams through the fill's temporary file.</summary>
    Body,

    /// <summary>The origin answered with a client error or redirect that is passed through as is.</summary>
    Passthrough,

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

    /// <summary>Whether other clients may read this response (false for <c>private</c>, <c>no-store</c> and <c>Vary</c>).</summary>
    public bool Shareable { get; init; }

    public int StatusCode { get; init; }

    public byte[] Body { get; init; } = [];

    public string? ContentType { get; init; }

    public string? CacheControl { get; init; }

    public string? Location { get; init; }

    /// <summary>The upstream's own <c>Cache-Status</c>, which this node's entry is appended to (RFC 9211).</summary>
    public string? UpstreamCacheStatus { get; init; }

    public string Detail { get; init; } = "";
}

/// <summary>The fill failed after its headers were sent; the response must be aborted, never completed.</summary>
internal sealed class FillFailedException(string message) : IOException(message);
