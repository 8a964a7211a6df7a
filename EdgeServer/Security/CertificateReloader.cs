using Edge.Contracts;
using Edge.EdgeServer.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Security;

/// <summary>The node's TLS certificate from <c>Edge:Tls</c>, reloaded when its files change (<see cref="CertificateFiles"/>).</summary>
internal sealed partial class CertificateReloader : IDisposable
{
    private readonly CertificateFiles _files;

    public CertificateReloader(IOptions<EdgeOptions> options, ILogger<CertificateReloader> logger)
    {
        var tls = options.Value.Tls;
        _files = new CertificateFiles(tls.CertificatePath, tls.KeyPath, detail => LogLoaded(logger, detail), reason => LogLoadFailed(logger, tls.CertificatePath, reason));
    }

    public bool Enabled => _files.Enabled;

    public System.Security.Cryptography.X509Certificates.X509Certificate2? Current() => _files.Current();

    public void Dispose() => _files.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS certificate loaded: {Detail}")]
    private static partial void LogLoaded(ILogger logger, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "TLS certificate {Path} could not be loaded, keeping the previous one: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string path, string reason);
}
