using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Edge.Testing;

namespace Edge.ControlPlane.Tests.Security;

/// <summary>The control plane over HTTPS from PEM files, with HTTP/2 by ALPN (browsers' players need https steering on https pages).</summary>
public sealed class TlsTests
{
    private const string Topology = """{"sites": [{"id": "ams", "prefixes": ["127.0.0.0/8"]}]}""";

    [Fact]
    public async Task Steer_OverTls_Http2WithTheConfiguredCertificate()
    {
        using var directory = new TempDirectory();
        var certificatePath = Path.Combine(directory.Path, "tls.crt");
        var keyPath = Path.Combine(directory.Path, "tls.key");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=control-plane", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        await File.WriteAllTextAsync(certificatePath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
        await using var host = await ControlPlaneHost.StartAsync(Topology, "--urls=https://127.0.0.1:0",
            $"--ControlPlane:TlsCertificatePath={certificatePath}", $"--ControlPlane:TlsKeyPath={keyPath}");

        string? seen = null;
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
        {
            seen = presented is null ? null : new X509Certificate2(presented).Thumbprint;
            return seen == certificate.Thumbprint;
        };
        using var client = new HttpClient(handler);
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, host.Url.TrimEnd('/') + "/healthz")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(certificate.Thumbprint, seen);
    }
}
