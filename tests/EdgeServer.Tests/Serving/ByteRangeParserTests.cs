using Edge.EdgeServer.Serving;

namespace Edge.EdgeServer.Tests.Serving;

public class ByteRangeParserTests
{
    [Theory]
    [InlineData("bytes=0-99", 0, 100)]
    [InlineData("bytes=100-199", 100, 100)]
    [InlineData("bytes=100-", 100, 900)]
    [InlineData("bytes=-100", 900, 100)]
    [InlineData("bytes=-5000", 0, 1000)]
    [InlineData("bytes=990-5000", 990, 10)]
    [InlineData("bytes=999-999", 999, 1)]
    [InlineData("BYTES = 0-0", 0, 1)]
    [InlineData("bytes= 5 - 9 ", 5, 5)]
    [InlineData("bytes=0-99,", 0, 100)]
    public void Parse_SingleRange_ReturnsResolvedRange(string header, long start, long length)
    {
        var kind = ByteRangeParser.Parse(header, 1000, out var range);

        Assert.Equal(RangeKind.Single, kind);
        Assert.Equal(new ByteRange(start, length), range);
    }

    [Theory]
    [InlineData("bytes=1000-")]
    [InlineData("bytes=1000-2000")]
    [InlineData("bytes=-0")]
    [InlineData("bytes=5000-,6000-7000")]
    public void Parse_NothingOverlaps_ReturnsUnsatisfiable(string header)
    {
        Assert.Equal(RangeKind.Unsatisfiable, ByteRangeParser.Parse(header, 1000, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("bytes")]
    [InlineData("bytes=")]
    [InlineData("bytes=,")]
    [InlineData("items=0-5")]
    [InlineData("bytes 0-5")]
    [InlineData("bytes=5-3")]
    [InlineData("bytes=a-b")]
    [InlineData("bytes=0x10-20")]
    [InlineData("bytes=-")]
    [InlineData("bytes=--5")]
    [InlineData("bytes=1-2-3")]
    [InlineData("bytes=+1-2")]
    [InlineData("bytes=99999999999999999999-")]
    [InlineData("bytes=0-5,x")]
    public void Parse_Malformed_IsIgnored(string header)
    {
        Assert.Equal(RangeKind.None, ByteRangeParser.Parse(header, 1000, out _));
    }

    [Fact]
    public void Parse_SeveralRanges_ReturnsMultiple()
    {
        Assert.Equal(RangeKind.Multiple, ByteRangeParser.Parse("bytes=0-1,5-9", 1000, out _));
        Assert.Equal(RangeKind.Multiple, ByteRangeParser.Parse("bytes=0-1,5000-", 1000, out _));
    }

    [Fact]
    public void Parse_TooManyRanges_IsIgnored()
    {
        var header = "bytes=" + string.Join(',', Enumerable.Range(0, 100).Select(i => $"{i}-{i}"));

        Assert.Equal(RangeKind.None, ByteRangeParser.Parse(header, 1000, out _));
    }
}
