using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Edge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.EdgeServer.Tests.Security;

/// <summary>HTTPS from PEM files, HTTP/2 over TLS, and a renewed certificate taken up without a restart.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();

    // Only certificates this test made are trusted.
    private readonly HashSet<string> _written = [];
    private OriginServer _origin = null!;

    private string CertificatePath => Path.Combine(_dir.Path, "tls.crt");

    private string KeyPath => Path.Combine(_dir.Path, "tls.key");

    public async Task InitializeAsync()
    {
        _origin = await OriginServer.StartAsync();
        _origin.Add("/t/seg1.m4s", new byte[5000], "video/iso.segment");
    }

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Get_OverTls_Http2WithTheConfiguredCertificate()
    {
        var thumbprint = WriteCertificate("edge-one", DateTime.UtcNow.AddMinutes(-1));
        await using var edge = await StartAsync();

        var (response, seen) = await GetAsync(edge.Url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(thumbprint, seen);
        Assert.StartsWith("edge-t;", string.Join(", ", response.Headers.GetValues("Cache-Status")), StringComparison.Ordinal);
        response.Dispose();
    }

    [Fact]
    public async Task Get_OverTls_AccessLogNamesTheTlsVersionAndHttp2()
    {
        WriteCertificate("edge-one", DateTime.UtcNow.AddMinutes(-1));
        var log = Path.Combine(_dir.Path, "access.log");
        await using var edge = await StartAsync("--AccessLog:Enabled=true", $"--AccessLog:Path={log}");

        var (response, _) = await GetAsync(edge.Url);
        response.Dispose();

        var line = (await AccessLogging.AccessLogTests.ReadLinesAsync(log, 1))[0];
        AccessLogging.AccessLogTests.AssertSchema(line);
        Assert.Equal("2", line.GetProperty("http").GetProperty("version").GetString());
        Assert.Equal("tls", line.GetProperty("tls").GetProperty("version_protocol").GetString());
        Assert.Equal("1.3", line.GetProperty("tls").GetProperty("version").GetString());
    }

    [Fact]
    public async Task Get_CertificateFilesReplaced_NextConnectionGetsTheNewOneWithoutARestart()
    {
        var first = WriteCertificate("edge-one", DateTime.UtcNow.AddMinutes(-10));
        await using var edge = await StartAsync();
        var (before, seenBefore) = await GetAsync(edge.Url);
        before.Dispose();

        var second = WriteCertificate("edge-two", DateTime.UtcNow);
        var (after, seenAfter) = await GetAsync(edge.Url);
        after.Dispose();

        Assert.Equal(first, seenBefore);
        Assert.Equal(second, seenAfter);
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public async Task Get_LargeObjectOverTls_EveryByteRightOnAMissAndOnHitsFromTheEdgesBlockPool(int major)
    {
        WriteCertificate("edge-one", DateTime.UtcNow.AddMinutes(-1));
        var body = new byte[3 * 1024 * 1024 + 123];
        new Random(7).NextBytes(body);
        _origin.Add("/t/big.m4s", body, "video/iso.segment");
        await using var edge = await StartAsync();
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && _written.Contains(new X509Certificate2(certificate).Thumbprint);
        using var client = new HttpClient(handler);

        // A miss, the stored copy, then the memory tier's.
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, edge.Url.TrimEnd('/') + "/t/big.m4s")
            {
                Version = new Version(major, major == 2 ? 0 : 1),
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(major, response.Version.Major);
            var received = await response.Content.ReadAsByteArrayAsync();
            Assert.True(body.AsSpan().SequenceEqual(received), $"request {i} was not the origin's bytes");
        }

        Assert.True(edge.App.Services.GetRequiredService<Edge.EdgeServer.Transport.BlockMemoryPoolFactory>().Allocated > 0);

        // TLS encrypts from the memory tier's bytes itself: nothing goes to the socket unencrypted.
        Assert.Equal(0, edge.App.Services.GetRequiredService<Edge.EdgeServer.Serving.StalledWrites>().DirectBytes);
    }

    private Task<EdgeHost> StartAsync(params string[] extra) => EdgeHost.StartAsync(_origin.Url, Path.Combine(_dir.Path, "cache"), null, "edge-t",
        ["--urls=https://127.0.0.1:0", $"--Edge:Tls:CertificatePath={CertificatePath}", $"--Edge:Tls:KeyPath={KeyPath}", .. extra]);

    /// <summary>One request on a new connection; returns the response and the thumbprint the server presented.</summary>
    private async Task<(HttpResponseMessage Response, string? Thumbprint)> GetAsync(string url)
    {
        string? thumbprint = null;
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            thumbprint = certificate is null ? null : new X509Certificate2(certificate).Thumbprint;
            return thumbprint is not null && _written.Contains(thumbprint);
        };
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, url.TrimEnd('/') + "/t/seg1.m4s")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return (response, thumbprint);
    }

    /// <summary>Writes a new self-signed certificate and key as PEM, each file replaced in one rename; returns its thumbprint.</summary>
    private string WriteCertificate(string name, DateTime stamp)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        Replace(CertificatePath, certificate.ExportCertificatePem(), stamp);
        Replace(KeyPath, key.ExportPkcs8PrivateKeyPem(), stamp);
        _written.Add(certificate.Thumbprint);
        return certificate.Thumbprint;
    }

    private static void Replace(string path, string text, DateTime stamp)
    {
        var temporary = path + ".new";
        File.WriteAllText(temporary, text);
        File.SetLastWriteTimeUtc(temporary, stamp);
        File.Move(temporary, path, overwrite: true);
    }
}
