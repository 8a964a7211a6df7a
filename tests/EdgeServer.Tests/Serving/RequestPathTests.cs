using Edge.EdgeServer.Serving;

namespace Edge.EdgeServer.Tests.Serving;

public class RequestPathTests
{
    [Theory]
    [InlineData("/title/master.m3u8")]
    [InlineData("/a/b/c/seg_001.m4s")]
    [InlineData("/t-1/v_2/x~y.mp4")]
    [InlineData("/title/seg(1)+2,3;4=5@6:7.ts")]
    public void Check_CleanPath_IsOk(string path)
    {
        Assert.Equal(PathCheck.Ok, RequestPath.Check(path, path, 1024));
    }

    [Theory]
    [InlineData("/a/../b", "/a/../b")]
    [InlineData("/b", "/a/%2e%2e/b")]
    [InlineData("/b", "/a/%2E%2e/b")]
    [InlineData("/a/.%2e/b", "/a/.%2e/b")]
    [InlineData("/a%2Fb", "/a%2Fb")]
    [InlineData("/a%2fb", "/a%2fb")]
    [InlineData("/a%5cb", "/a%5cb")]
    [InlineData("/a\\b", "/a\\b")]
    [InlineData("/a\0b", "/a%00b")]
    [InlineData("/a//b", "/a//b")]
    [InlineData("/a/./b", "/a/./b")]
    [InlineData("/..", "/..")]
    [InlineData("/a b", "/a%20b")]
    [InlineData("/a%b", "/a%25b")]
    [InlineData("/é", "/%C3%A9")]
    [InlineData("/a", "/a%")]
    [InlineData("/a", "/a%2")]
    [InlineData("a/b", "a/b")]
    public void Check_TraversalOrOddCharacters_IsBadRequest(string path, string raw)
    {
        Assert.Equal(PathCheck.BadRequest, RequestPath.Check(path, raw, 1024));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/title/")]
    public void Check_NoObjectName_IsNotFound(string path)
    {
        Assert.Equal(PathCheck.NotFound, RequestPath.Check(path, path, 1024));
    }

    [Fact]
    public void Check_Overlong_IsTooLong()
    {
        var path = "/" + new string('a', 2000);

        Assert.Equal(PathCheck.TooLong, RequestPath.Check(path, path, 1024));
    }
}
