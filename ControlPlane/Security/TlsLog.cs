using Microsoft.Extensions.Logging;

namespace Edge.ControlPlane.Security;

/// <summary>What happens to the control plane's TLS certificate files.</summary>
internal static partial class TlsLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "TLS certificate loaded: {Detail}")]
    public static partial void Loaded(ILogger logger, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "TLS certificate could not be loaded, keeping the previous one: {Reason}")]
    public static partial void LoadFailed(ILogger logger, string reason);
}
