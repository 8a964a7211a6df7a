using System.Net;
using Edge.Testing;

namespace Edge.EdgeServer.Tests.Caching;

/// <summary>A flipped bit on disk is caught by the per-chunk checksums before its chunk is sent.</summary>
public sealed class IntegrityTests : IAsyncLifetime
{
    private readonly TempDirectory _cacheDir = new();
    private OriginServer _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, nodeId: "edge-i");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Fact]
    public async Task Get_FlippedByteInFirstChunk_DroppedRefilledAndNeverServed()
    {
        var body = CacheTestSupport.RandomBody(300_000);
        _origin.Add("/t/seg1.m4s", body);
        Assert.Equal(body, await _edge.Client.GetByteArrayAsync("/t/seg1.m4s"));

        FlipByte(CacheTestSupport.ObjectFileOf(_cacheDir.Path, "/t/seg1.m4s"), 4096 + 1000);
        using var response = await _edge.Client.GetAsync("/t/seg1.m4s");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("edge-i; fwd=miss; stored", string.Join(", ", response.Headers.GetValues("Cache-Status")));
        Assert.Equal(2, _origin.RequestCount("/t/seg1.m4s"));
        Assert.Contains("edge_integrity_failures_total{node=\"edge-i\"} 1", await _edge.Client.GetStringAsync("/metrics"));

        using var hit = await _edge.Client.GetAsync("/t/seg1.m4s");
        Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
        Assert.Equal("edge-i; hit", string.Join(", ", hit.Headers.GetValues("Cache-Status")));
    }

    [Fact]
    public async Task Get_FlippedByteInALaterChunk_ResponseCutBeforeItAndNextRequestRefills()
    {
        var body = CacheTestSupport.RandomBody(300_000);
        _origin.Add("/t/seg2.m4s", body);
        Assert.Equal(body, await _edge.Client.GetByteArrayAsync("/t/seg2.m4s"));

        FlipByte(CacheTestSupport.ObjectFileOf(_cacheDir.Path, "/t/seg2.m4s"), 4096 + (3 * 65536) + 5);
        var received = new MemoryStream();
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await _edge.Client.GetAsync("/t/seg2.m4s", HttpCompletionOption.ResponseHeadersRead);
            await using var stream = await response.Content.ReadAsStreamAsync();
            await stream.CopyToAsync(received);
        });

        // Whatever arrived is a correct prefix: the bad chunk was never sent.
        Assert.True(received.Length <= 3 * 65536);
        Assert.Equal(body.AsSpan(0, (int)received.Length).ToArray(), received.ToArray());
        Assert.Equal(body, await _edge.Client.GetByteArrayAsync("/t/seg2.m4s"));
        Assert.Equal(2, _origin.RequestCount("/t/seg2.m4s"));
    }

    [Fact]
    public async Task GetRange_ChunkChecked_WholeChunkVerifiedForASlice()
    {
        var body = CacheTestSupport.RandomBody(200_000);
        _origin.Add("/t/seg3.m4s", body);
        Assert.Equal(body, await _edge.Client.GetByteArrayAsync("/t/seg3.m4s"));

        FlipByte(CacheTestSupport.ObjectFileOf(_cacheDir.Path, "/t/seg3.m4s"), 4096 + 65536 + 60_000);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/t/seg3.m4s");
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(65536, 65536 + 99);
        using var response = await _edge.Client.SendAsync(request);

        // The requested bytes are intact, but the chunk holding them is not: the object is refilled first.
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(body.AsSpan(65536, 100).ToArray(), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(2, _origin.RequestCount("/t/seg3.m4s"));
    }


    private static void FlipByte(string file, long offset)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        stream.Position = offset;
        var value = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(value ^ 0x10));
    }
}
