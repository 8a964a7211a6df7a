using System.Net;
using Edge.ControlPlane.Configuration;
using Microsoft.Extensions.Options;

namespace Edge.ControlPlane.Health;

/// <summary>The control plane's one HTTP client to edge nodes: probes and manifest fetches share its connection pool.</summary>
internal sealed class NodeHttpClient : IDisposable
{
    public NodeHttpClient(IOptions<ControlPlaneOptions> options)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.Value.ProbeTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        Client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        Client.DefaultRequestHeaders.UserAgent.ParseAdd("edge-control-plane");
    }

    public HttpClient Client { get; }

    public void Dispose() => Client.Dispose();
}
