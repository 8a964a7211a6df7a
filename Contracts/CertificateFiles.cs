using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Edge.Contracts;

/// <summary>
/// A TLS certificate read from PEM files, for the edge and the control plane alike. Each TLS handshake asks for it.
/// When either file has changed since the last load, it is read again, so a renewed certificate takes effect on
/// the next connection without a restart. A file that does not load leaves the previous certificate in use.
/// </summary>
public sealed class CertificateFiles(string certificatePath, string keyPath, Action<string>? loaded = null, Action<string>? failed = null) : IDisposable
{
    private readonly Lock _sync = new();
    private readonly string _keyPath = keyPath.Length > 0 ? keyPath : certificatePath;
    private X509Certificate2? _current;
    private (DateTime Certificate, DateTime Key) _loadedStamps;

    public bool Enabled => certificatePath.Length > 0;

    public X509Certificate2? Current()
    {
        if (!Enabled)
        {
            return null;
        }

        var stamps = (File.GetLastWriteTimeUtc(certificatePath), File.GetLastWriteTimeUtc(_keyPath));
        lock (_sync)
        {
            if (_current is null || stamps != _loadedStamps)
            {
                try
                {
                    var next = Load(certificatePath, _keyPath);
                    _current?.Dispose();
                    _current = next;
                    _loadedStamps = stamps;
                    loaded?.Invoke($"{next.Subject}, valid until {next.NotAfter:u}");
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
                {
                    failed?.Invoke(ex.Message);
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
    public static X509Certificate2 Load(string certificatePath, string keyPath)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath.Length > 0 ? keyPath : certificatePath);

        // Exported and re-imported so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Null when the files load, else why not (for configuration validation).</summary>
    public static string? Problem(string certificatePath, string keyPath)
    {
        try
        {
            using var certificate = Load(certificatePath, keyPath);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            return ex.Message;
        }
    }
}
