using System.Globalization;
using Edge.EdgeServer.Caching;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Edge.EdgeServer.Serving;

/// <summary>What of a stored body a response carries, once its head is written.</summary>
internal readonly record struct BodyRange(bool Send, long Start, long Count);

/// <summary>
/// Writes the head of a response from a stored (or arriving) object: the origin's status and fields, the node's
/// <c>Age</c> and <c>Cache-Status</c>, then HTTP semantics on top (preconditions, RFC 9110 §13; ranges, §14).
/// </summary>
internal static class ResponseHead
{
    private static readonly StringValues AcceptRangesBytes = "bytes";
    private static readonly string?[] AgeTexts = new string?[86_400];

    public static BodyRange Write(HttpContext context, ObjectMetadata metadata, StringValues cacheStatus, double age, bool isHead)
    {
        var request = context.Request;
        var response = context.Response;
        var headers = response.Headers;
        headers[CacheStatus.HeaderName] = cacheStatus;
        headers.Age = AgeText((long)age);
        foreach (var (name, value) in metadata.Headers.Fields)
        {
            headers[name] = value;
        }

        var status = metadata.StatusCode;
        response.StatusCode = status;
        if (status is >= 200 and < 300)
        {
            // Preconditions apply to what would otherwise be a 2xx (RFC 9110 §13.2.1).
            switch (Preconditions.Evaluate(request.Headers, metadata.ETag, metadata.LastModified))
            {
                case PreconditionResult.NotModified:
                    response.StatusCode = StatusCodes.Status304NotModified;
                    return default;
                case PreconditionResult.Failed:
                    response.StatusCode = StatusCodes.Status412PreconditionFailed;
                    headers.ContentType = StringValues.Empty;
                    headers.ContentEncoding = StringValues.Empty;
                    response.ContentLength = 0;
                    return default;
            }
        }

        if (status is 204 or 304)
        {
            return default;
        }

        var length = metadata.ContentLength;
        long start = 0;
        var count = length;
        if (length >= 0)
        {
            if (status == 200)
            {
                headers.AcceptRanges = AcceptRangesBytes;
                var rangeHeader = request.Headers.Range;

                // Range is defined for GET only (RFC 9110 §14.2).
                if (!isHead && !StringValues.IsNullOrEmpty(rangeHeader) && rangeHeader.Count == 1
                    && Preconditions.IfRangeAllows(request.Headers.IfRange, metadata.ETag, metadata.LastModified))
                {
                    switch (ByteRangeParser.Parse(rangeHeader[0], length, out var range))
                    {
                        case RangeKind.Single:
                            response.StatusCode = StatusCodes.Status206PartialContent;
                            headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {range.Start}-{range.End}/{length}");
                            (start, count) = (range.Start, range.Length);
                            break;
                        case RangeKind.Unsatisfiable:
                            response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                            headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes */{length}");
                            headers.ContentType = StringValues.Empty;
                            headers.ContentEncoding = StringValues.Empty;
                            response.ContentLength = 0;
                            return default;
                    }
                }
            }

            response.ContentLength = count;
        }

        return new BodyRange(!isHead, start, count);
    }

    /// <summary>The <c>Age</c> value; ages under a day come from a table filled as they are first needed.</summary>
    private static string AgeText(long seconds)
    {
        if (seconds >= AgeTexts.Length || seconds < 0)
        {
            return Math.Max(0, seconds).ToString(CultureInfo.InvariantCulture);
        }

        return AgeTexts[seconds] ??= seconds.ToString(CultureInfo.InvariantCulture);
    }
}
