using Edge.ControlPlane;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edge.Deploy.Tests.Monitoring;

/// <summary>An origin, an edge that has served a miss and a hit, and a control plane that knows the edge: what a scrape sees.</summary>
internal sealed class MonitoredCdn : IAsyncDisposable
{
    private const string Topology = """
        {"sites": [{"id": "a", "prefixes": ["127.0.0.0/8"]}],
         "nodes": [{"id": "edge-m", "site": "a", "url": "http://127.0.0.1:1", "capacityBps": 1000000000}]}
        """;

    private readonly TempDirectory _cacheDir;
    private readonly TempDirectory _topologyDir;
    private readonly OriginServer _origin;

    private MonitoredCdn(TempDirectory cacheDir, TempDirectory topologyDir, OriginServer origin, EdgeHost edge, WebApplication controlPlane, string controlPlaneUrl)
    {
        _cacheDir = cacheDir;
        _topologyDir = topologyDir;
        _origin = origin;
        Edge = edge;
        ControlPlane = controlPlane;
        ControlPlaneUrl = controlPlaneUrl;
    }

    public EdgeHost Edge { get; }

    public WebApplication ControlPlane { get; }

    public string ControlPlaneUrl { get; }

    public static async Task<MonitoredCdn> StartAsync()
    {
        var cacheDir = new TempDirectory();
        var topologyDir = new TempDirectory();
        var origin = await OriginServer.StartAsync();
        origin.Add("/t/seg1.m4s", new byte[1000], "video/iso.segment");
        var edge = await EdgeHost.StartAsync(origin.Url, cacheDir.Path, nodeId: "edge-m");
        (await edge.Client.GetAsync("/t/seg1.m4s")).Dispose();
        (await edge.Client.GetAsync("/t/seg1.m4s")).Dispose();
        var topology = Path.Combine(topologyDir.Path, "topology.json");
        await File.WriteAllTextAsync(topology, Topology);
        var controlPlane = ControlPlaneApplication.Build(["--urls=http://127.0.0.1:0", $"--ControlPlane:TopologyFile={topology}", "--ControlPlane:ProbeInterval=01:00:00"], b => b.Logging.ClearProviders());
        await controlPlane.StartAsync();
        var url = controlPlane.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new MonitoredCdn(cacheDir, topologyDir, origin, edge, controlPlane, url);
    }

    public async ValueTask DisposeAsync()
    {
        await ControlPlane.StopAsync();
        await ControlPlane.DisposeAsync();
        await Edge.DisposeAsync();
        await _origin.DisposeAsync();
        _cacheDir.Dispose();
        _topologyDir.Dispose();
    }
}
