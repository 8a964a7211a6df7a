using System.Net;
using Edge.Encoder.Live;
using Edge.Encoder.Origin;
using Edge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Encoder.Tests.Live;

public sealed class LiveOriginTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(Start);
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };
    private LiveSource _source = null!;
    private LiveTitle _title = null!;
    private LiveTrack _track = null!;
    private WebApplication _app = null!;
    private string _url = "";

    public async Task InitializeAsync()
    {
        _source = await LiveSource.VideoAsync(_temp.Path, 7);
        _title = new LiveTitle("ev", new LiveSettings(), _time, archive: null);
        _track = _title.AddTrack("90p", 300_000, 30);
        _source.Start(_track);
        var registry = new LiveRegistry();
        registry.Add(_title);
        Directory.CreateDirectory(Path.Combine(_temp.Path, "content"));
        _app = OriginHost.Build(Path.Combine(_temp.Path, "content"), ["--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"], registry, _time);
        await _app.StartAsync();
        _url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/ev/90p/";
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _title.Dispose();
        _temp.Dispose();
    }

    private long Msn => _title.FirstMsn;

    [Fact]
    public async Task Get_BlockingReloadForNextPart_HeldUntilThePartIsComplete()
    {
        _source.Feed(_track, 0, 15);
        var pending = _client.GetAsync($"{_url}index.m3u8?_HLS_msn={Msn}&_HLS_part=1");

        // Part 1 is 15 frames long: fourteen of them do not complete it.
        _source.Feed(_track, 15, 14);
        Assert.False(pending.IsCompleted);
        _source.Feed(_track, 29, 1);

        using var response = await pending;
        var playlist = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"URI=\"part{(Msn * 100) + 1}.m4s\"", playlist, StringComparison.Ordinal);
        Assert.Equal("public, max-age=12", response.Headers.CacheControl!.ToString());
        Assert.Equal("application/vnd.apple.mpegurl", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Get_BlockingReloadPastSegmentsLastPart_AnsweredByNextSegmentsFirstPart()
    {
        _source.Feed(_track, 0, 60);
        var pending = _client.GetAsync($"{_url}index.m3u8?_HLS_msn={Msn}&_HLS_part=4");
        _source.Feed(_track, 60, 15);

        using var response = await pending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"seg{Msn}.m4s", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_BlockingReloadNeverSatisfied_Returns503AfterThreeTargetDurations()
    {
        _source.Feed(_track, 0, 15);
        var pending = _client.GetAsync($"{_url}index.m3u8?_HLS_msn={Msn + 1}");

        // The hold waits on the injected clock: move it on until the origin gives up, a bounded number of times.
        for (var i = 0; i < 400 && !pending.IsCompleted; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(pending, Task.Delay(10));
        }

        using var response = await pending;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
    }

    [Theory]
    [InlineData("_HLS_part=1")]
    [InlineData("_HLS_msn=abc")]
    [InlineData("_HLS_msn=-1")]
    [InlineData("_HLS_msn=1&_HLS_msn=2")]
    [InlineData("_HLS_skip=NO")]
    public async Task Get_MalformedDeliveryDirective_Returns400(string query)
    {
        _source.Feed(_track, 0, 15);
        using var response = await _client.GetAsync($"{_url}index.m3u8?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Get_BlockingReloadTooFarAhead_Returns400AtOnce()
    {
        _source.Feed(_track, 0, 15);
        using var segment = await _client.GetAsync($"{_url}index.m3u8?_HLS_msn={Msn + 3}");
        using var part = await _client.GetAsync($"{_url}index.m3u8?_HLS_msn={Msn}&_HLS_part=8");
        Assert.Equal(HttpStatusCode.BadRequest, segment.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, part.StatusCode);
    }

    [Fact]
    public async Task Get_HintedPart_HeldThenSentChunkedWhileItGrows()
    {
        _source.Feed(_track, 0, 15);
        var hinted = (Msn * 100) + 1;
        var pending = _client.GetAsync($"{_url}part{hinted}.m4s", HttpCompletionOption.ResponseHeadersRead);
        Assert.False(pending.IsCompleted);

        // One frame of the part exists: the response starts, without a length, with exactly that frame.
        _source.Feed(_track, 15, 1);
        using var response = await pending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Content.Headers.ContentLength);
        Assert.True(response.Headers.TransferEncodingChunked);
        await using var body = await response.Content.ReadAsStreamAsync();
        var (_, moof, mdat) = _source.Fragments[15];
        var first = new byte[moof.Length + mdat.Length];
        await body.ReadExactlyAsync(first);
        Assert.Equal([.. moof, .. mdat], first);

        // The rest follows as it is written, and the response ends when the part does.
        _source.Feed(_track, 16, 14);
        using var rest = new MemoryStream();
        await body.CopyToAsync(rest);
        var part = _track.Part(hinted)!;
        Assert.True(part.Complete);
        Assert.Equal(part.Bytes.Completed.ToArray(), first.Concat(rest.ToArray()).ToArray());
    }

    [Fact]
    public async Task Get_CompletePartAndSegment_SentWithLengthAndImmutable()
    {
        _source.Feed(_track, 0, 61);
        using var part = await _client.GetAsync($"{_url}part{Msn * 100}.m4s");
        using var segment = await _client.GetAsync($"{_url}seg{Msn}.m4s");
        using var init = await _client.GetAsync($"{_url}init.mp4");

        Assert.Equal(_track.Part(Msn * 100)!.Bytes.Completed.ToArray(), await part.Content.ReadAsByteArrayAsync());
        Assert.Equal(_track.Segment(Msn)!.Bytes.Completed.ToArray(), await segment.Content.ReadAsByteArrayAsync());
        Assert.Equal(_track.Init, await init.Content.ReadAsByteArrayAsync());
        Assert.Equal(_track.Segment(Msn)!.Bytes.Length, segment.Content.Headers.ContentLength);
        Assert.Equal(LiveOrigin.MediaCacheControl, segment.Headers.CacheControl!.ToString());
    }

    [Theory]
    [InlineData("part{0}.m4s", 50)]
    [InlineData("part{0}.m4s", -2)]
    [InlineData("seg{1}.m4s", 5)]
    [InlineData("nothing.m4s", 0)]
    public async Task Get_PartOrSegmentNotNearTheLiveEdge_Returns404(string name, int ahead)
    {
        _source.Feed(_track, 0, 15);
        var path = string.Format(System.Globalization.CultureInfo.InvariantCulture, name, (Msn * 100) + 1 + ahead, Msn + ahead);
        using var response = await _client.GetAsync(_url + path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("public, max-age=0", response.Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task Post_LiveTitle_Returns405()
    {
        using var response = await _client.PostAsync(_url + "index.m3u8", new StringContent(""));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Get_AfterEnd_BlockingReloadAnsweredAtOnceWithEndList()
    {
        _source.Feed(_track, 0, 30);
        _track.End();
        using var response = await _client.GetAsync($"{_url}index.m3u8?_HLS_msn={Msn + 2}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith("#EXT-X-ENDLIST\n", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
