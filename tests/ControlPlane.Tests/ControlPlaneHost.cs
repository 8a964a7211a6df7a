using System.Net.Http.Json;
using Edge.Contracts;
using Edge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edge.ControlPlane.Tests;

/// <summary>A real control plane (Kestrel on a loopback port) hosted in the test process, with its topology in a temp file.</summary>
internal sealed class ControlPlaneHost : IAsyncDisposable
{
    private readonly TempDirectory _directory;

    private ControlPlaneHost(WebApplication app, string url, TempDirectory directory)
    {
        App = app;
        Url = url;
        _directory = directory;
        Client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(url) };
    }

    public WebApplication App { get; }

    public string Url { get; }

    public HttpClient Client { get; }

    public string TopologyPath => Path.Combine(_directory.Path, "topology.json");

    public static async Task<ControlPlaneHost> StartAsync(string topologyJson, params string[] extra)
    {
        var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "topology.json");
        await File.WriteAllTextAsync(path, topologyJson);

        // Long intervals: these tests drive health with heartbeats they send themselves.
        string[] args =
        [
            "--urls=http://127.0.0.1:0",
            $"--ControlPlane:TopologyFile={path}",
            "--ControlPlane:HeartbeatInterval=00:01:00",
            "--ControlPlane:ProbeInterval=01:00:00",
            "--AccessLog:Enabled=false",
            .. extra,
        ];
        var app = ControlPlaneApplication.Build(args, builder => builder.Logging.ClearProviders());
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ControlPlaneHost(app, url, directory);
    }

    public async Task HeartbeatAsync(string nodeId, bool ready = true, bool draining = false, long egress = 0)
    {
        using var response = await Client.PostAsJsonAsync($"/v1/nodes/{nodeId}/heartbeat",
            new NodeReport { NodeId = nodeId, Ready = ready, Draining = draining, EgressBitsPerSecond = egress }, ContractsJsonContext.Default.NodeReport);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        _directory.Dispose();
    }
}
