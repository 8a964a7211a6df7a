using System.Net;
using Edge.Contracts;
using Edge.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Edge.EdgeServer.Tests.Security;

/// <summary>Signed URLs at a real edge: verified before any disk or origin work, with a reason code when refused.</summary>
public sealed class SignedUrlTests : IAsyncLifetime
{
    private static readonly byte[] OldKey = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly byte[] NewKey = [.. Enumerable.Range(101, 32).Select(i => (byte)i)];
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly UrlSignature _signer = new(new Dictionary<string, byte[]> { ["k-old"] = OldKey, ["k-new"] = NewKey });
    private readonly TempDirectory _cacheDir = new();
    private OriginServer _origin = null!;
    private EdgeHost _edge = null!;

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _origin.Add("/sample/v0/seg1.m4s", new byte[3000], "video/iso.segment");
        _origin.Add("/other/v0/seg1.m4s", new byte[3000], "video/iso.segment");
        _edge = await EdgeHost.StartAsync(_origin.Url, _cacheDir.Path, _time, null, "edge-u",
            $"--Edge:UrlSigning:Keys:k-old={Convert.ToBase64String(OldKey)}",
            $"--Edge:UrlSigning:Keys:k-new={Convert.ToBase64String(NewKey)}",
            "--Edge:UrlSigning:Required=true");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
    }

    [Theory]
    [InlineData("/sample/..;/other/x.m4s")]
    [InlineData("/sample/..%2fother/x.m4s")]
    [InlineData("/sample/a/../../other/x.m4s")]
    public void Verify_DotDotSegmentAfterThePrefix_WrongPrefix(string path)
    {
        var token = _signer.Sign("k-old", "/sample/", _time.GetUtcNow().AddHours(1));

        Assert.Equal(SignatureFailure.WrongPrefix, _signer.Verify(token, path, null, _time.GetUtcNow()));
    }

    [Fact]
    public async Task Get_ValidTokens_ServedAndTheTokenIsNotPartOfTheCacheKey()
    {
        var first = _signer.SignPath("k-old", "/sample/", "/sample/v0/seg1.m4s", _time.GetUtcNow().AddHours(1));
        var second = _signer.SignPath("k-new", "/sample/", "/sample/v0/seg1.m4s", _time.GetUtcNow().AddHours(2));

        using var miss = await _edge.Client.GetAsync(first);
        using var hit = await _edge.Client.GetAsync(second);

        Assert.Equal(HttpStatusCode.OK, miss.StatusCode);
        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal("edge-u; hit", string.Join(", ", hit.Headers.GetValues("Cache-Status")));
        Assert.Equal(1, _origin.RequestCount("/sample/v0/seg1.m4s"));
    }

    [Fact]
    public async Task Get_BoundToTheClientAddress_ServedToThatClientOnly()
    {
        var mine = _signer.SignPath("k-new", "/sample/", "/sample/v0/seg1.m4s", _time.GetUtcNow().AddHours(1), IPAddress.Loopback);
        var someoneElses = _signer.SignPath("k-new", "/sample/", "/sample/v0/seg1.m4s", _time.GetUtcNow().AddHours(1), IPAddress.Parse("198.51.100.7"));

        using var served = await _edge.Client.GetAsync(mine);
        using var refused = await _edge.Client.GetAsync(someoneElses);

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("forbidden: wrong-client\n", await refused.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("missing-token")]
    [InlineData("expired")]
    [InlineData("bad-signature")]
    [InlineData("wrong-prefix")]
    [InlineData("unknown-key")]
    [InlineData("malformed-token")]
    public async Task Get_RefusedToken_403WithTheReasonAndNoOriginOrDiskWork(string reason)
    {
        var expires = _time.GetUtcNow().AddMinutes(5);
        var path = reason switch
        {
            "missing-token" => "/sample/v0/seg1.m4s",
            "expired" => _signer.SignPath("k-new", "/sample/", "/sample/v0/seg1.m4s", _time.GetUtcNow().AddSeconds(-1)),
            "bad-signature" => Tamper(_signer.SignPath("k-new", "/sample/", "/sample/v0/seg1.m4s", expires)),
            "wrong-prefix" => _signer.SignPath("k-new", "/other/", "/sample/v0/seg1.m4s", expires),
            "unknown-key" => new UrlSignature(new Dictionary<string, byte[]> { ["k-gone"] = OldKey }).SignPath("k-gone", "/sample/", "/sample/v0/seg1.m4s", expires),
            _ => "/_t/not-a-token/sample/v0/seg1.m4s",
        };

        using var response = await _edge.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal($"forbidden: {reason}\n", await response.Content.ReadAsStringAsync());
        Assert.Equal($"edge-u; fwd=bypass; detail={reason}", string.Join(", ", response.Headers.GetValues("Cache-Status")));
        Assert.Equal(0, _origin.TotalRequests);
    }

    [Fact]
    public async Task Get_TokenExpiresWhileCached_RefusedThen()
    {
        var path = _signer.SignPath("k-new", "/sample/", "/sample/v0/seg1.m4s", _time.GetUtcNow().AddMinutes(10));
        (await _edge.Client.GetAsync(path)).Dispose();

        _time.Advance(TimeSpan.FromMinutes(10));
        using var response = await _edge.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("forbidden: expired\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public void Verify_TokenOfARemovedKey_UnknownKey()
    {
        var token = _signer.Sign("k-old", "/sample/", _time.GetUtcNow().AddHours(1));
        var rotated = new UrlSignature(new Dictionary<string, byte[]> { ["k-new"] = NewKey });

        Assert.Equal(SignatureFailure.None, _signer.Verify(token, "/sample/x.m4s", null, _time.GetUtcNow()));
        Assert.Equal(SignatureFailure.UnknownKey, rotated.Verify(token, "/sample/x.m4s", null, _time.GetUtcNow()));
    }

    private static string Tamper(string path)
    {
        // Flip the expiry's last digit: the signature no longer matches.
        var at = path.IndexOf('~', StringComparison.Ordinal) + 1;
        var end = path.IndexOf('~', at);
        var digit = path[end - 1] == '9' ? '0' : (char)(path[end - 1] + 1);
        return path[..(end - 1)] + digit + path[end..];
    }
}
