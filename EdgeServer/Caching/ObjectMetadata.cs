using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Primitives;

namespace Edge.EdgeServer.Caching;

/// <summary>What the cache keeps about one object besides its body; stored in the object file's header block.</summary>
internal sealed class ObjectMetadata
{
    public required string Key { get; init; }

    public required long ContentLength { get; init; }

    public string? ContentType { get; init; }

    /// <summary>Strong entity tag, quotes included.</summary>
    public string? ETag { get; init; }

    public required DateTimeOffset LastModified { get; init; }

    public string? CacheControl { get; init; }

    public required DateTimeOffset StoredAt { get; init; }

    /// <summary>Hex SHA-256 of the body, checked when the fill completes.</summary>
    public string? Sha256 { get; init; }

    /// <summary>The origin's own strong ETag, sent back in <c>If-None-Match</c> (the stored one may be made up).</summary>
    public string? OriginETag { get; init; }

    /// <summary>Whether the origin sent <c>Last-Modified</c>, so <c>If-Modified-Since</c> means something to it.</summary>
    public bool OriginLastModified { get; init; }

    /// <summary>Seconds the response stays fresh after it was stored (RFC 9111 §4.2.1).</summary>
    public double FreshSeconds { get; init; }

    /// <summary>The origin's <c>Age</c> when the response arrived.</summary>
    public double InitialAgeSeconds { get; init; }

    public double StaleWhileRevalidateSeconds { get; init; }

    public double StaleIfErrorSeconds { get; init; }

    /// <summary><c>must-revalidate</c>, <c>proxy-revalidate</c> or <c>s-maxage</c>: never served stale.</summary>
    public bool MustRevalidate { get; init; }

    /// <summary>The same object with the freshness of a revalidation's answer.</summary>
    public ObjectMetadata Refreshed(FreshnessRules rules, string? cacheControl, double initialAge, DateTimeOffset storedAt) => new()
    {
        Key = Key,
        ContentLength = ContentLength,
        ContentType = ContentType,
        ETag = ETag,
        LastModified = LastModified,
        CacheControl = cacheControl ?? CacheControl,
        StoredAt = storedAt,
        Sha256 = Sha256,
        OriginETag = OriginETag,
        OriginLastModified = OriginLastModified,
        FreshSeconds = rules.LifetimeSeconds,
        InitialAgeSeconds = initialAge,
        StaleWhileRevalidateSeconds = rules.StaleWhileRevalidateSeconds,
        StaleIfErrorSeconds = rules.StaleIfErrorSeconds,
        MustRevalidate = rules.MustRevalidate,
    };

    [JsonIgnore]
    public ResponseHeaderValues Headers => field ??= new ResponseHeaderValues(this);
}

/// <summary>Header values formatted once per object so that hits do not format or allocate them.</summary>
internal sealed class ResponseHeaderValues(ObjectMetadata metadata)
{
    public StringValues ContentType { get; } = metadata.ContentType ?? "application/octet-stream";

    public StringValues ETag { get; } = metadata.ETag is null ? StringValues.Empty : new StringValues(metadata.ETag);

    public StringValues LastModified { get; } = metadata.LastModified.ToString("R", CultureInfo.InvariantCulture);

    public StringValues CacheControl { get; } = metadata.CacheControl is null ? StringValues.Empty : new StringValues(metadata.CacheControl);
}

[JsonSerializable(typeof(ObjectMetadata))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class ObjectMetadataJsonContext : JsonSerializerContext;
