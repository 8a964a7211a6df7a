using Edge.EdgeServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edge.Testing;

/// <summary>A real edge node (Kestrel on a loopback port) hosted in the test process.</summary>
public sealed class EdgeHost : IAsyncDisposable
{
    private EdgeHost(WebApplication app, string url)
    {
        App = app;
        Url = url;
        Client = new HttpClient { BaseAddress = new Uri(url) };
    }

    public WebApplication App { get; }

    public string Url { get; }

    public HttpClient Client { get; }

    public static Task<EdgeHost> StartAsync(string originUrl, string cacheDirectory, long? cacheMaxBytes = null, string nodeId = "edge-test", params string[] extra) =>
        StartAsync(originUrl, cacheDirectory, time: null, cacheMaxBytes, nodeId, extra);

    /// <summary>Starts a node whose clock is <paramref name="time"/> (a fake clock makes freshness deterministic).</summary>
    public static Task<EdgeHost> StartAsync(string originUrl, string cacheDirectory, TimeProvider? time, long? cacheMaxBytes = null, string nodeId = "edge-test", params string[] extra) =>
        StartAsync(originUrl, cacheDirectory, time, services: null, cacheMaxBytes, nodeId, extra);

    /// <summary>Starts a node with some of its services replaced (a boundary the test owns, such as name resolution).</summary>
    public static async Task<EdgeHost> StartAsync(string originUrl, string cacheDirectory, TimeProvider? time, Action<IServiceCollection>? services, long? cacheMaxBytes = null, string nodeId = "edge-test", params string[] extra)
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            $"--Edge:CacheDirectory={cacheDirectory}",
            $"--Edge:OriginUrl={originUrl}",
            $"--Edge:NodeId={nodeId}",

            // Most tests look at what one request does; the doorkeeper has tests of its own that turn it on.
            "--Edge:Admission:DoorkeeperWindow=00:00:00",

            // In-process nodes would write their access logs into the test run's output; the log has tests of its own.
            "--AccessLog:Enabled=false",
        };
        if (cacheMaxBytes is { } max)
        {
            args.Add($"--Edge:CacheMaxBytes={max}");
        }

        args.AddRange(extra);
        var app = EdgeApplication.Build([.. args], builder =>
        {
            builder.Logging.ClearProviders();
            if (time is not null)
            {
                builder.Services.AddSingleton(time);
            }

            services?.Invoke(builder.Services);
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EdgeHost(app, url);
    }

    public T GetService<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
