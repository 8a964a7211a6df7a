using System.Net;

namespace Edge.EdgeServer.Health;

/// <summary>Finds the addresses of a control-plane host name, so that each replica behind it gets the heartbeats.</summary>
internal interface IControlPlaneResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The system resolver: a Kubernetes headless Service answers with one address per ready replica.</summary>
internal sealed class DnsControlPlaneResolver : IControlPlaneResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);
}
