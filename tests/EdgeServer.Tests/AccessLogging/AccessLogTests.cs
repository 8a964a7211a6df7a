using System.Net;
using System.Text.Json;
using Edge.Contracts.AccessLogging;
using Edge.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Tests.AccessLogging;

/// <summary>One JSON line per request, every field present and typed, written without holding requests up.</summary>
public sealed class AccessLogTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private OriginServer _origin = null!;

    private string LogPath => Path.Combine(_dir.Path, "access.log");

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _origin.Add("/t/seg1.m4s", new byte[70_000], "video/iso.segment");
    }

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Get_MissHitAndOperatorRequests_OneTypedLineEach()
    {
        await using var edge = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/t/seg1.m4s?session=7");
        request.Headers.UserAgent.ParseAdd("player/1.0");
        var miss = await edge.Client.SendAsync(request);
        await miss.Content.ReadAsByteArrayAsync();
        var hit = await edge.Client.GetAsync("/t/seg1.m4s?session=7");
        await hit.Content.ReadAsByteArrayAsync();
        using var head = await edge.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/t/seg1.m4s?session=7"));
        using var metrics = await edge.Client.GetAsync("/metrics");
        var exposition = await metrics.Content.ReadAsByteArrayAsync();
        using var admin = await edge.Client.GetAsync("/ADMIN/fills");
        using var missing = await edge.Client.DeleteAsync("/t/seg1.m4s");
        var refusal = await missing.Content.ReadAsByteArrayAsync();

        var lines = await ReadLinesAsync(LogPath, 6);

        Assert.All(lines, AssertSchema);
        var (missLine, hitLine, headLine, metricsLine, adminLine) = (lines[0], lines[1], lines[2], lines[3], lines[4]);
        Assert.Equal("miss", missLine.GetProperty("edge").GetProperty("cache").GetString());
        Assert.Equal(string.Join(", ", miss.Headers.GetValues("Cache-Status")), missLine.GetProperty("edge").GetProperty("cache_status").GetString());
        Assert.Equal(200, missLine.GetProperty("edge").GetProperty("upstream").GetProperty("status_code").GetInt32());
        Assert.True(missLine.GetProperty("edge").GetProperty("upstream").GetProperty("duration").GetInt64() > 0);
        Assert.Equal(70_000, missLine.GetProperty("http").GetProperty("response").GetProperty("body").GetProperty("bytes").GetInt64());
        Assert.Equal("/t/seg1.m4s", missLine.GetProperty("url").GetProperty("path").GetString());
        Assert.Equal("session=7", missLine.GetProperty("url").GetProperty("query").GetString());
        Assert.Equal("player/1.0", missLine.GetProperty("user_agent").GetProperty("original").GetString());

        Assert.Equal("hit", hitLine.GetProperty("edge").GetProperty("cache").GetString());
        Assert.False(hitLine.GetProperty("edge").TryGetProperty("upstream", out _));
        Assert.Equal(70_000, hitLine.GetProperty("http").GetProperty("response").GetProperty("body").GetProperty("bytes").GetInt64());

        Assert.Equal("HEAD", headLine.GetProperty("http").GetProperty("request").GetProperty("method").GetString());
        Assert.Equal(0, headLine.GetProperty("http").GetProperty("response").GetProperty("body").GetProperty("bytes").GetInt64());

        Assert.Equal(exposition.Length, metricsLine.GetProperty("http").GetProperty("response").GetProperty("body").GetProperty("bytes").GetInt64());
        Assert.Equal(401, adminLine.GetProperty("http").GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal(HttpStatusCode.Unauthorized, admin.StatusCode);

        // A refusal's line counts the text it sent.
        Assert.Equal(HttpStatusCode.MethodNotAllowed, missing.StatusCode);
        Assert.Equal(405, lines[5].GetProperty("http").GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal(refusal.Length, lines[5].GetProperty("http").GetProperty("response").GetProperty("body").GetProperty("bytes").GetInt64());
        Assert.True(refusal.Length > 0);

        // Request ids tell requests on one connection apart.
        Assert.Equal(6, lines.Select(l => l.GetProperty("http").GetProperty("request").GetProperty("id").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task Get_WithCmcd_LineCarriesWhatThePlayerReported()
    {
        await using var edge = await StartAsync();

        using var response = await edge.Client.GetAsync(Cmcd.CmcdServingTests.WithCmcd("/t/seg1.m4s", "br=3200,bl=8000,bs,mtp=25000,nor=\"seg2.m4s\",ot=v,sf=h,sid=\"s-1\",su,br=oops"));

        var line = (await ReadLinesAsync(LogPath, 1))[0];
        AssertSchema(line);
        var cmcd = line.GetProperty("edge").GetProperty("cmcd");
        Assert.Equal(3200, cmcd.GetProperty("br").GetInt32());
        Assert.Equal(8000, cmcd.GetProperty("bl").GetInt32());
        Assert.True(cmcd.GetProperty("bs").GetBoolean());
        Assert.Equal(25000, cmcd.GetProperty("mtp").GetInt32());
        Assert.Equal("seg2.m4s", cmcd.GetProperty("nor").GetString());
        Assert.Equal("v", cmcd.GetProperty("ot").GetString());
        Assert.Equal("h", cmcd.GetProperty("sf").GetString());
        Assert.Equal("s-1", cmcd.GetProperty("sid").GetString());
        Assert.True(cmcd.GetProperty("su").GetBoolean());
    }

    [Fact]
    public async Task Log_FileGrowsPastItsLimit_RotatedAndOldestDeleted()
    {
        var options = new AccessLogOptions { Path = LogPath, MaxFileBytes = 2_000, MaxFiles = 2 };
        await using var log = new AccessLog(options, "edge", "edge-r", TimeProvider.System, NullLogger<AccessLog>.Instance);
        await log.StartAsync(default);

        for (var i = 0; i < 60; i++)
        {
            log.Submit(log.Start());
            await Poll.UntilAsync(() => Task.FromResult(log.Written == i + 1), "the line to be written", TimeSpan.FromSeconds(10));
        }

        await log.StopAsync(default);
        Assert.True(File.Exists(LogPath + ".1"));
        Assert.True(File.Exists(LogPath + ".2"));
        Assert.False(File.Exists(LogPath + ".3"));
        foreach (var file in new[] { LogPath, LogPath + ".1", LogPath + ".2" }.Where(File.Exists))
        {
            Assert.True(new FileInfo(file).Length < 2_000 + 1_000, file);
            Assert.All(File.ReadAllLines(file), line => JsonDocument.Parse(line).Dispose());
        }
    }

    [Fact]
    public async Task Submit_WriterCannotKeepUp_LinesDroppedAndCountedWithoutWaiting()
    {
        // Not started: nothing drains the queue.
        var options = new AccessLogOptions { Path = LogPath, QueueLength = 4 };
        await using var log = new AccessLog(options, "edge", null, TimeProvider.System, NullLogger<AccessLog>.Instance);

        for (var i = 0; i < 10; i++)
        {
            log.Submit(log.Start());
        }

        Assert.Equal(6, log.Dropped);
    }

    [Fact]
    public async Task Log_DiskFull_LinesCountedAsDroppedAndRequestsServed()
    {
        // /dev/full answers every write with ENOSPC, as a full disk does.
        await using var edge = await EdgeHost.StartAsync(_origin.Url, Path.Combine(_dir.Path, "cache"), null, "edge-f", "--AccessLog:Enabled=true", "--AccessLog:Path=/dev/full", "--AccessLog:MaxFileBytes=0");
        var log = edge.GetService<AccessLog>();

        for (var i = 0; i < 3; i++)
        {
            using var response = await edge.Client.GetAsync("/t/seg1.m4s");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Poll.UntilAsync(() => Task.FromResult(log.Dropped == 3), "three lines to fail", TimeSpan.FromSeconds(10));
        Assert.Equal(0, log.Written);
    }

    [Theory]
    [InlineData("MaxFiles", "0")]
    [InlineData("QueueLength", "0")]
    [InlineData("MaxFileBytes", "-1")]
    [InlineData("Path", "/no/such/folder/access.log")]
    public async Task Start_BadSetting_FailsNamingTheKey(string key, string value)
    {
        var failure = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => EdgeHost.StartAsync(_origin.Url, Path.Combine(_dir.Path, "cache"), null, "edge-b", "--AccessLog:Enabled=true", $"--AccessLog:{key}={value}"));

        Assert.Contains("AccessLog:" + key, failure.Message, StringComparison.Ordinal);
    }

    /// <summary>Every field of the documented schema, with its JSON type.</summary>
    internal static void AssertSchema(JsonElement line)
    {
        Assert.True(DateTimeOffset.TryParse(line.GetProperty("@timestamp").GetString(), out var time), "@timestamp");
        Assert.True(Math.Abs((DateTimeOffset.UtcNow - time).TotalMinutes) < 5, "@timestamp is now");
        var duration = line.GetProperty("event").GetProperty("duration").GetInt64();
        Assert.True(duration > 0);
        Assert.EndsWith(".access", line.GetProperty("event").GetProperty("dataset").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(line.GetProperty("service").GetProperty("name").GetString()));
        Assert.False(string.IsNullOrEmpty(line.GetProperty("service").GetProperty("node").GetProperty("name").GetString()));
        Assert.True(IPAddress.TryParse(line.GetProperty("client").GetProperty("ip").GetString(), out _));
        var http = line.GetProperty("http");
        Assert.Contains(http.GetProperty("version").GetString(), new[] { "1.1", "2" });
        Assert.Matches("^[A-Z]+$", http.GetProperty("request").GetProperty("method").GetString());
        Assert.False(string.IsNullOrEmpty(http.GetProperty("request").GetProperty("id").GetString()));
        Assert.InRange(http.GetProperty("response").GetProperty("status_code").GetInt32(), 100, 599);
        Assert.True(http.GetProperty("response").GetProperty("body").GetProperty("bytes").GetInt64() >= 0);
        Assert.StartsWith("/", line.GetProperty("url").GetProperty("path").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Object, line.GetProperty("user_agent").ValueKind);
        var firstByte = line.GetProperty("edge").GetProperty("first_byte").GetProperty("duration").GetInt64();
        Assert.InRange(firstByte, 0, duration);
    }

    internal static async Task<List<JsonElement>> ReadLinesAsync(string path, int count)
    {
        string[] lines = [];
        await Poll.UntilAsync(
            () =>
            {
                lines = File.Exists(path) ? File.ReadAllLines(path) : [];
                return Task.FromResult(lines.Length >= count);
            },
            $"{count} access log lines",
            TimeSpan.FromSeconds(10));
        return [.. lines.Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    private Task<EdgeHost> StartAsync() =>
        EdgeHost.StartAsync(_origin.Url, Path.Combine(_dir.Path, "cache"), null, "edge-l", "--AccessLog:Enabled=true", $"--AccessLog:Path={LogPath}", "--Edge:AdminTokens:0=operator-token-0123456789abcdef");
}
