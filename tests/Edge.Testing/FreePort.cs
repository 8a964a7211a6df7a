using System.Net;
using System.Net.Sockets;

namespace Edge.Testing;

/// <summary>Loopback ports for processes whose URLs must be known before they start (a topology lists them).</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
