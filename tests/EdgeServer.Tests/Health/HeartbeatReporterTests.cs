using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Edge.Contracts;
using Edge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edge.EdgeServer.Tests.Health;

public sealed class HeartbeatReporterTests
{
    [Fact]
    public async Task ExecuteAsync_TwoControlPlanes_EachGetsReportsWithLoadAndDraining()
    {
        await using var first = await Receiver.StartAsync();
        await using var second = await Receiver.StartAsync();
        await using var origin = await OriginServer.StartAsync();
        origin.Add("/t/seg.m4s", new byte[256 * 1024]);
        using var cache = new TempDirectory();
        await using var edge = await EdgeHost.StartAsync(origin.Url, cache.Path, nodeId: "edge-hb", extra:
        [
            $"--Edge:ControlPlaneUrls:0={first.Url}",
            $"--Edge:ControlPlaneUrls:1={second.Url}/",
            "--Edge:HeartbeatInterval=00:00:00.050",
        ]);

        var hello = await first.NextAsync(r => true);
        Assert.Equal("", first.LastAuthorization);
        Assert.Equal(("edge-hb", true, true, false), (hello.NodeId, hello.Healthy, hello.Ready, hello.Draining));
        Assert.Equal("/v1/nodes/edge-hb/heartbeat", first.LastPath);

        // Serve 256 KiB twice (a miss, then a hit): the next reports carry the traffic.
        for (var i = 0; i < 2; i++)
        {
            using var response = await edge.Client.GetAsync("/t/seg.m4s");
            await response.Content.ReadAsByteArrayAsync();
        }

        var loaded = await first.NextAsync(r => r.Requests >= 2 && r.Hits >= 1);
        Assert.True(loaded.CacheUsedBytes >= 256 * 1024);
        Assert.True(loaded.CacheMaxBytes > loaded.CacheUsedBytes);
        Assert.True(loaded.ActiveConnections >= 1);

        // The bytes land in the report that first counts the requests, or (if counted mid-report) the one after.
        var egress = loaded.EgressBitsPerSecond > 0 ? loaded : await first.NextAsync(r => r.EgressBitsPerSecond > 0);
        Assert.True(egress.EgressBitsPerSecond >= 8 * 256 * 1024 / 2, $"{egress.EgressBitsPerSecond} bit/s");

        using (await edge.Client.PutAsync("/admin/drain", null))
        {
        }

        var draining = await second.NextAsync(r => r.Draining);
        Assert.False(draining.Ready);
        Assert.Equal("draining", draining.Reason);
    }

    [Fact]
    public async Task ExecuteAsync_PlayersSentCmcd_ReportsCarryTheirQuality()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var origin = await OriginServer.StartAsync();
        origin.Add("/t/seg.m4s", new byte[1000], "video/iso.segment");
        using var cache = new TempDirectory();
        await using var edge = await EdgeHost.StartAsync(origin.Url, cache.Path, nodeId: "edge-q", extra:
        [
            $"--Edge:ControlPlaneUrls:0={receiver.Url}",
            "--Edge:HeartbeatInterval=00:00:00.050",
        ]);

        foreach (var cmcd in new[] { "br=3000,ot=v,sid=\"a\"", "br=1000,ot=v,sid=\"a\",bs", "br=2000,ot=v,sid=\"b\"", "br=128,ot=a,sid=\"b\"" })
        {
            using var response = await edge.Client.GetAsync(Cmcd.CmcdServingTests.WithCmcd("/t/seg.m4s", cmcd));
        }

        // Until the fourth request is counted a report says a third rebuffered; then a quarter.
        var report = await receiver.NextAsync(r => Math.Abs(r.RebufferingShare - 0.25) < 1e-9);
        Assert.Equal(2, report.PlayerSessions);
        Assert.Equal(1532, report.MeanBitrateKbps);
    }

    [Fact]
    public async Task ExecuteAsync_ResolveAllAndANameWithTwoAddresses_EveryReplicaGetsReports()
    {
        // Two replicas behind one name, as a headless Service's DNS answers: 127.0.0.1 and 127.0.0.2, same port.
        await using var first = await Receiver.StartAsync("127.0.0.1", 0);
        var port = new Uri(first.Url).Port;
        await using var second = await Receiver.StartAsync("127.0.0.2", port);
        await using var origin = await OriginServer.StartAsync();
        using var cache = new TempDirectory();
        var resolver = new StaticResolver("control-plane.edge.svc", IPAddress.Parse("127.0.0.1"), IPAddress.Parse("127.0.0.2"));
        await using var edge = await EdgeHost.StartAsync(origin.Url, cache.Path, null, services => services.AddSingleton<Edge.EdgeServer.Health.IControlPlaneResolver>(resolver), null, "edge-rr",
            $"--Edge:ControlPlaneUrls:0=http://control-plane.edge.svc:{port}",
            "--Edge:ControlPlaneResolveAll=true",
            "--Edge:HeartbeatInterval=00:00:00.050");

        var atFirst = await first.NextAsync(r => true);
        var atSecond = await second.NextAsync(r => true);

        Assert.Equal("edge-rr", atFirst.NodeId);
        Assert.Equal("edge-rr", atSecond.NodeId);
        Assert.Equal("/v1/nodes/edge-rr/heartbeat", second.LastPath);
        Assert.Contains("control-plane.edge.svc", resolver.Asked);
    }

    /// <summary>A stand-in control plane that records the heartbeats it is sent.</summary>
    [Fact]
    public async Task ExecuteAsync_ControlPlaneToken_SentAsBearer()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var origin = await OriginServer.StartAsync();
        using var cache = new TempDirectory();
        await using var edge = await EdgeHost.StartAsync(origin.Url, cache.Path, nodeId: "edge-hb", extra:
        [
            $"--Edge:ControlPlaneUrls:0={receiver.Url}",
            "--Edge:ControlPlaneToken=node-token-0123456789abcdef",
            "--Edge:HeartbeatInterval=00:00:00.050",
        ]);

        await receiver.NextAsync(r => true);

        Assert.Equal("Bearer node-token-0123456789abcdef", receiver.LastAuthorization);
    }

    [Fact]
    public async Task ExecuteAsync_ControlPlaneTokenFile_SentAndReadAgainWhenTheFileChanges()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var origin = await OriginServer.StartAsync();
        using var cache = new TempDirectory();
        var file = Path.Combine(cache.Path + "-secret", "edge-hb");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, "token-one-0123456789abcdef\n");
        await using var edge = await EdgeHost.StartAsync(origin.Url, cache.Path, nodeId: "edge-hb", extra:
        [
            $"--Edge:ControlPlaneUrls:0={receiver.Url}",
            $"--Edge:ControlPlaneTokenFile={file}",
            "--Edge:HeartbeatInterval=00:00:00.050",
        ]);

        await receiver.NextAuthorizationAsync("Bearer token-one-0123456789abcdef");
        await File.WriteAllTextAsync(file, "token-two-0123456789abcdef");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(1));

        await receiver.NextAuthorizationAsync("Bearer token-two-0123456789abcdef");
    }

    [Theory]
    [InlineData("missing", "no such file")]
    [InlineData("short", "at least 16 characters")]
    public async Task Start_BadControlPlaneTokenFile_FailsNamingTheKey(string kind, string expected)
    {
        using var cache = new TempDirectory();
        var file = cache.Path + "-token";
        if (kind == "short")
        {
            await File.WriteAllTextAsync(file, "short");
        }

        var failure = await Record.ExceptionAsync(async () =>
        {
            await using var edge = await EdgeHost.StartAsync("http://127.0.0.1:9", cache.Path, nodeId: "edge-bad", extra: [$"--Edge:ControlPlaneTokenFile={file}"]);
        });

        Assert.NotNull(failure);
        Assert.Contains("Edge:ControlPlaneTokenFile", failure.Message, StringComparison.Ordinal);
        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
        File.Delete(file);
    }

    private sealed class StaticResolver(string name, params IPAddress[] addresses) : Edge.EdgeServer.Health.IControlPlaneResolver
    {
        public ConcurrentBag<string> Asked { get; } = [];

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            Asked.Add(host);
            return host == name ? Task.FromResult(addresses) : Task.FromException<IPAddress[]>(new System.Net.Sockets.SocketException(11001));
        }
    }

    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly Channel<NodeReport> _reports = Channel.CreateUnbounded<NodeReport>();
        private readonly Channel<string> _authorizations = Channel.CreateUnbounded<string>();

        private Receiver(WebApplication app) => _app = app;

        public string Url { get; private set; } = "";

        public string? LastPath { get; private set; }

        public string? LastAuthorization { get; private set; }

        public static Task<Receiver> StartAsync() => StartAsync("127.0.0.1", 0);

        public static async Task<Receiver> StartAsync(string address, int port)
        {
            var builder = WebApplication.CreateSlimBuilder([$"--urls=http://{address}:{port}"]);
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.Run(async context =>
            {
                receiver.LastPath = context.Request.Path;
                receiver.LastAuthorization = context.Request.Headers.Authorization.ToString();
                receiver._authorizations.Writer.TryWrite(receiver.LastAuthorization);
                var report = await JsonSerializer.DeserializeAsync(context.Request.Body, ContractsJsonContext.Default.NodeReport);
                receiver._reports.Writer.TryWrite(report!);
                context.Response.StatusCode = StatusCodes.Status204NoContent;
            });
            await app.StartAsync();
            receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return receiver;
        }

        /// <summary>The next report that matches, within a bounded time.</summary>
        public async Task<NodeReport> NextAsync(Func<NodeReport, bool> match)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                var report = await _reports.Reader.ReadAsync(timeout.Token);
                if (match(report))
                {
                    return report;
                }
            }
        }

        /// <summary>Waits, within a bounded time, for a heartbeat sent with this Authorization header.</summary>
        public async Task NextAuthorizationAsync(string expected)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (await _authorizations.Reader.ReadAsync(timeout.Token) != expected)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
