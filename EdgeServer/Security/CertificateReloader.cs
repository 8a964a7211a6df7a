using System.Security.Cryptography.X509Certificates;
using Edge.EdgeServer.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Security;

/// <summary>
/// The node's TLS certificate from PEM files (<c>Edge:Tls:CertificatePath</c> and <c>KeyPath</c>). Each TLS handshake
/// asks for it; when either file has changed since the last load, it is read again, so a renewed certificate
/// takes effect on the next connection without a restart. A file that does not load keeps the previous certificate.
/// </summary>
internal sealed partial class CertificateReloader(IOptions<EdgeOptions> options, ILogger<CertificateReloader> logger) : IDisposable
{
    private readonly Lock _sync = new();
    private readonly TlsOptions _tls = options.Value.Tls;
    private X509Certificate2? _current;
    private (DateTime Certificate, DateTime Key) _loadedStamps;

    public bool Enabled => _tls.CertificatePath.Length > 0;

    public X509Certificate2? Current()
    {
        if (!Enabled)
        {
            return null;
        }

        var stamps = (File.GetLastWriteTimeUtc(_tls.CertificatePath), File.GetLastWriteTimeUtc(KeyPath));
        lock (_sync)
        {
            if (_current is null || stamps != _loadedStamps)
            {
                try
                {
                    var loaded = Load(_tls.CertificatePath, KeyPath);
                    _current?.Dispose();
                    _current = loaded;
                    _loadedStamps = stamps;
                    LogLoaded(logger, loaded.Subject, loaded.NotAfter);
                }
                catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or ArgumentException)
                {
                    // Keep serving with the old certificate; try again at the next handshake.
                    LogLoadFailed(logger, _tls.CertificatePath, ex.Message);
                    if (_current is null)
                    {
                        throw;
                    }
                }
            }

            return _current;
        }
    }

    public void Dispose() => _current?.Dispose();

    /// <summary>Loads a certificate and its key from PEM files (the key may sit in the certificate file).</summary>
    internal static X509Certificate2 Load(string certificatePath, string keyPath)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);

        // Exported and re-imported so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private string KeyPath => _tls.KeyPath.Length > 0 ? _tls.KeyPath : _tls.CertificatePath;

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS certificate loaded: {Subject}, valid until {NotAfter:u}")]
    private static partial void LogLoaded(ILogger logger, string subject, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Error, Message = "TLS certificate {Path} could not be loaded, keeping the previous one: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string path, string reason);
}
