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
