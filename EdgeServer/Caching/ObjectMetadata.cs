using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Primitives;

namespace Edge.EdgeServer.Caching;

/// <summary>What the cache keeps about one object besides its body; stored in the object file's header block.</summary>
internal sealed class ObjectMetadata
{
    /// <summary>The cache key; a variant's key is its object's key, a newline and the request values it was chosen by.</summary>
    public required string Key { get; init; }

    public required long ContentLength { get; init; }

    /// <summary>The origin's status code (0 in objects of the first format, which stored only 200s).</summary>
    public int Status { get; init; }

    /// <summary>
    /// The origin's end-to-end header fields as name, value pairs in the order they arrived, repeats kept, each value's
    /// bytes as Latin-1 characters so that obs-text survives. Hop-by-hop fields and <c>Content-Length</c>,
    /// <c>Age</c> and <c>Cache-Status</c>, which the node computes, are not kept.
    /// </summary>
    public string[]? Fields { get; init; }

    /// <summary>
    /// Set on a variant list: the object's responses vary by these request fields (lower case), and each variant
    /// is stored under its own key. A variant list has no body.
    /// </summary>
    public string[]? Vary { get; init; }

    /// <summary>The origin's <c>Content-Type</c> (first format) or the type the node picked by extension.</summary>
    public string? ContentType { get; init; }

    /// <summary>Entity tag used for preconditions: the origin's (strong or weak, quotes included) or one the node made.</summary>
    public string? ETag { get; init; }

    public required DateTimeOffset LastModified { get; init; }

    public string? CacheControl { get; init; }

    public required DateTimeOffset StoredAt { get; init; }

    /// <summary>Hex SHA-256 of the body, checked when the fill completes.</summary>
    public string? Sha256 { get; init; }

    /// <summary>The origin's own ETag, sent back in <c>If-None-Match</c> (the stored one may be made up).</summary>
    public string? OriginETag { get; init; }

    /// <summary>Whether the origin sent <c>Last-Modified</c>, so <c>If-Modified-Since</c> means something to it.</summary>
    public bool OriginLastModified { get; init; }

    /// <summary>Seconds the response stays fresh after it was stored (RFC 9111 §4.2.1).</summary>
    public double FreshSeconds { get; init; }

    /// <summary>The origin's <c>Age</c> when the response arrived, plus the time it took to arrive.</summary>
    public double InitialAgeSeconds { get; init; }

    public double StaleWhileRevalidateSeconds { get; init; }

    public double StaleIfErrorSeconds { get; init; }

    /// <summary><c>must-revalidate</c>, <c>proxy-revalidate</c> or <c>s-maxage</c>: never served stale.</summary>
    public bool MustRevalidate { get; init; }

    /// <summary>The status to answer with: objects of the first format hold 200s only.</summary>
    [JsonIgnore]
    public int StatusCode => Status == 0 ? 200 : Status;

    /// <summary>The same object with the freshness and header fields of a revalidation's answer (RFC 9111 §4.3.4).</summary>
    public ObjectMetadata Refreshed(FreshnessRules rules, string[]? fields, string? cacheControl, double initialAge, DateTimeOffset storedAt) => new()
    {
        Key = Key,
        ContentLength = ContentLength,
        Status = Status,
        Fields = fields ?? Fields,
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
internal sealed class ResponseHeaderValues
{
    public ResponseHeaderValues(ObjectMetadata metadata)
    {
        ETag = metadata.ETag is null ? StringValues.Empty : new StringValues(metadata.ETag);
        if (metadata.Fields is null)
        {
            // The first format kept four fields and made up the rest.
            var fields = new List<KeyValuePair<string, StringValues>>(4)
            {
                new("Content-Type", metadata.ContentType ?? "application/octet-stream"),
                new("Last-Modified", metadata.LastModified.ToString("R", CultureInfo.InvariantCulture)),
            };
            if (metadata.ETag is not null)
            {
                fields.Add(new("ETag", metadata.ETag));
            }

            if (metadata.CacheControl is not null)
            {
                fields.Add(new("Cache-Control", metadata.CacheControl));
            }

            Fields = [.. fields];
            return;
        }

        Fields = StoredFields.Group(metadata.Fields);
        var hasType = false;
        var hasETag = false;
        foreach (var (name, _) in Fields)
        {
            hasType |= name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase);
            hasETag |= name.Equals("ETag", StringComparison.OrdinalIgnoreCase);
        }

        var extra = new List<KeyValuePair<string, StringValues>>(2);
        if (!hasType && metadata.ContentType is not null && metadata.StatusCode == 200)
        {
            extra.Add(new("Content-Type", metadata.ContentType));
        }

        if (!hasETag && metadata.ETag is not null && metadata.StatusCode == 200)
        {
            extra.Add(new("ETag", metadata.ETag));
        }

        if (extra.Count > 0)
        {
            Fields = [.. Fields, .. extra];
        }
    }

    /// <summary>Every field sent with the object, one entry per name, values in their order.</summary>
    public KeyValuePair<string, StringValues>[] Fields { get; }

    public StringValues ETag { get; }
}

[JsonSerializable(typeof(ObjectMetadata))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class ObjectMetadataJsonContext : JsonSerializerContext;
