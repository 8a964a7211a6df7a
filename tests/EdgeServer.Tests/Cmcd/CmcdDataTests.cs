using Edge.EdgeServer.Cmcd;
using Microsoft.AspNetCore.Http;

namespace Edge.EdgeServer.Tests.Cmcd;

public sealed class CmcdDataTests
{
    [Fact]
    public void From_QueryParameter_EveryVersionOneKeyRead()
    {
        var payload = "bl=21300,br=3200,bs,cid=\"faec5fc2-ac30-11eabb37-0242ac130002\",d=4004,dl=18500,mtp=48100,nor=\"..%2F300kbps%2Ftrack.m4v\",nrr=\"12323-48763\",ot=v,pr=1.08,rtp=12000,sf=d,sid=\"6e2fb550-c457-11e9-bb97-0800200c9a66\",st=v,su,tb=6000,v=1";
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString("?a=1&CMCD=" + Uri.EscapeDataString(payload) + "&b=2");

        var data = CmcdData.From(context.Request)!;

        Assert.Equal(21300, data.BufferLength);
        Assert.Equal(3200, data.Bitrate);
        Assert.True(data.BufferStarvation);
        Assert.Equal("faec5fc2-ac30-11eabb37-0242ac130002", data.ContentId);
        Assert.Equal(4004, data.Duration);
        Assert.Equal(18500, data.Deadline);
        Assert.Equal(48100, data.MeasuredThroughput);
        Assert.Equal("..%2F300kbps%2Ftrack.m4v", data.NextObject);
        Assert.Equal("v", data.ObjectType);
        Assert.Equal(1.08, data.PlaybackRate);
        Assert.Equal(12000, data.RequestedThroughput);
        Assert.Equal("d", data.StreamingFormat);
        Assert.Equal("6e2fb550-c457-11e9-bb97-0800200c9a66", data.SessionId);
        Assert.Equal("v", data.StreamType);
        Assert.True(data.Startup);
        Assert.Equal(6000, data.TopBitrate);
        Assert.Equal(1, data.Version);
    }

    [Fact]
    public void From_Headers_AllFourShardsCombined()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["CMCD-Request"] = "bl=4000,mtp=25400,nor=\"seg2.m4s\"";
        context.Request.Headers["CMCD-Object"] = "br=1200,d=4000,ot=av";
        context.Request.Headers["CMCD-Status"] = "bs";
        context.Request.Headers["CMCD-Session"] = "sf=h,sid=\"abc\",st=l";

        Assert.True(CmcdData.IsPresent(context.Request));
        var data = CmcdData.From(context.Request)!;

        Assert.Equal(4000, data.BufferLength);
        Assert.Equal(25400, data.MeasuredThroughput);
        Assert.Equal("seg2.m4s", data.NextObject);
        Assert.Equal(1200, data.Bitrate);
        Assert.Equal("av", data.ObjectType);
        Assert.True(data.BufferStarvation);
        Assert.Equal("h", data.StreamingFormat);
        Assert.Equal("abc", data.SessionId);
        Assert.Equal("l", data.StreamType);
    }

    [Theory]
    [InlineData("br=abc")]
    [InlineData("br=-5")]
    [InlineData("br=99999999999")]
    [InlineData("br=\"3200\"")]
    [InlineData("sid=unquoted")]
    [InlineData("sid=\"unterminated")]
    [InlineData("ot=zz")]
    [InlineData("sf=\"d\"")]
    [InlineData("pr=1e400")]
    [InlineData("bs=maybe")]
    [InlineData("unknown=1,com.example-key=\"x\"")]
    [InlineData("=,,,=\"")]
    [InlineData("br=")]
    public void Parse_MalformedValue_IgnoredWithoutError(string payload)
    {
        var data = CmcdData.Parse(payload);

        Assert.True(data.IsEmpty);
        Assert.Null(data.Bitrate);
        Assert.Null(data.SessionId);
    }

    [Fact]
    public void Parse_MalformedKeysBesideGoodOnes_GoodOnesKept()
    {
        var data = CmcdData.Parse("br=abc,bl=3000,sid=\"" + new string('x', 65) + "\",cid=\"ok\",ot=zz,sf=h");

        Assert.Null(data.Bitrate);
        Assert.Equal(3000, data.BufferLength);
        Assert.Null(data.SessionId);
        Assert.Equal("ok", data.ContentId);
        Assert.Null(data.ObjectType);
        Assert.Equal("h", data.StreamingFormat);
    }

    [Fact]
    public void Parse_VersionTwoInnerListsAndParameters_FirstItemTaken()
    {
        var data = CmcdData.Parse("bl=(1200),br=(3200 1600),nor=(\"seg5.m4s\";r=\"0-100\"),mtp=(8000),v=2");

        Assert.Equal(1200, data.BufferLength);
        Assert.Equal(3200, data.Bitrate);
        Assert.Equal("seg5.m4s", data.NextObject);
        Assert.Equal(8000, data.MeasuredThroughput);
        Assert.Equal(2, data.Version);
    }

    [Fact]
    public void From_OversizedPayload_Ignored()
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString("?CMCD=" + Uri.EscapeDataString("br=1," + new string('a', CmcdData.MaxLength)));

        Assert.True(CmcdData.IsPresent(context.Request));
        Assert.Null(CmcdData.From(context.Request));
    }

    [Fact]
    public void From_BadPercentEncoding_Ignored()
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString("?CMCD=br%3D3200%2,bl%3D%ZZ");

        Assert.Null(CmcdData.From(context.Request));
    }

    [Fact]
    public void IsPresent_NoCmcd_False()
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString("?cmcd_like=1");
        context.Request.Headers["X-CMCD"] = "br=1";

        Assert.False(CmcdData.IsPresent(context.Request));
        Assert.Null(CmcdData.From(context.Request));
    }
}
