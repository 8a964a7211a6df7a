using Edge.EdgeServer.Serving;
using Microsoft.AspNetCore.Http;

namespace Edge.EdgeServer.Tests.Serving;

public class PreconditionsTests
{
    private const string ETag = "\"abc\"";
    private static readonly DateTimeOffset Modified = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Theory]
    [InlineData("If-None-Match", "\"abc\"", 1)]
    [InlineData("If-None-Match", "W/\"abc\"", 1)]
    [InlineData("If-None-Match", "\"x\", \"abc\"", 1)]
    [InlineData("If-None-Match", "*", 1)]
    [InlineData("If-None-Match", "\"other\"", 0)]
    [InlineData("If-Modified-Since", "Fri, 02 Jan 2026 03:04:05 GMT", 1)]
    [InlineData("If-Modified-Since", "Sat, 03 Jan 2026 00:00:00 GMT", 1)]
    [InlineData("If-Modified-Since", "Thu, 01 Jan 2026 00:00:00 GMT", 0)]
    [InlineData("If-Modified-Since", "not a date", 0)]
    [InlineData("If-Match", "\"abc\"", 0)]
    [InlineData("If-Match", "W/\"abc\"", 2)]
    [InlineData("If-Match", "\"other\"", 2)]
    [InlineData("If-Unmodified-Since", "Thu, 01 Jan 2026 00:00:00 GMT", 2)]
    [InlineData("If-Unmodified-Since", "Sat, 03 Jan 2026 00:00:00 GMT", 0)]
    public void Evaluate_Header_GivesResult(string name, string value, int expected)
    {
        var headers = new HeaderDictionary { [name] = value };

        Assert.Equal((PreconditionResult)expected, Preconditions.Evaluate(headers, ETag, Modified));
    }

    [Fact]
    public void Evaluate_IfNoneMatchMissesAndIfModifiedSinceMatches_Proceeds()
    {
        // If-None-Match takes precedence over If-Modified-Since (RFC 9110 §13.2.2).
        var headers = new HeaderDictionary { ["If-None-Match"] = "\"old\"", ["If-Modified-Since"] = "Sat, 03 Jan 2026 00:00:00 GMT" };

        Assert.Equal(PreconditionResult.Proceed, Preconditions.Evaluate(headers, ETag, Modified));
    }

    [Theory]
    [InlineData("\"abc\"", true)]
    [InlineData("\"other\"", false)]
    [InlineData("W/\"abc\"", false)]
    [InlineData("Fri, 02 Jan 2026 03:04:05 GMT", true)]
    [InlineData("Sat, 03 Jan 2026 00:00:00 GMT", false)]
    [InlineData("garbage", false)]
    public void IfRangeAllows_Validator_MatchesStrongly(string value, bool expected)
    {
        Assert.Equal(expected, Preconditions.IfRangeAllows(value, ETag, Modified));
    }
}
