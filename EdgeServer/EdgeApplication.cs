using Edge.Contracts;
using Edge.Contracts.AccessLogging;
using Edge.Contracts.Logging;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Health;
using Edge.EdgeServer.Metrics;
using Edge.EdgeServer.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Edge.EdgeServer;

/// <summary>Builds the edge node's web application from standard .NET configuration.</summary>
public static class EdgeApplication
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddRepeatLimitedLogging();
        builder.WebHost.UseKestrelHttpsConfiguration();
        var connections = new ConnectionCounter();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // Stored header values hold the origin's bytes as Latin-1 characters (obs-text included); sent the same way.
            kestrel.ResponseHeaderEncodingSelector = static _ => System.Text.Encoding.Latin1;

            // And a player sends those bytes back (If-None-Match): read request fields the same way.
            kestrel.RequestHeaderEncodingSelector = static _ => System.Text.Encoding.Latin1;
            kestrel.ConfigureHttpsDefaults(https =>
            {
                var reloader = kestrel.ApplicationServices.GetRequiredService<Security.CertificateReloader>();
                if (reloader.Enabled)
                {
                    https.ServerCertificateSelector = (_, _) => reloader.Current();
                }
            });
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(next =>
            {
                // Read once per endpoint, not per connection.
                var limits = listen.ApplicationServices.GetRequiredService<IOptions<EdgeOptions>>().Value.Limits;
                return connections.Wrap(next, limits);
            }).Use(next =>
            {
                // Built once the endpoint is complete, TLS included. TLS encrypts every byte in user space anyway.
                var edge = listen.ApplicationServices.GetRequiredService<IOptions<EdgeOptions>>().Value;
                if (!edge.Transport.DirectSend || $"{listen}".StartsWith("https:", StringComparison.OrdinalIgnoreCase))
                {
                    return next;
                }

                var stalls = listen.ApplicationServices.GetRequiredService<StalledWrites>();
                var buffer = Math.Max(edge.Transport.MaxResponseBufferBytes, 4096);
                return connection => Transport.DirectSendConnection.RunAsync(connection, next, stalls, buffer);
            }));
        });
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<EdgeOptions>>((kestrel, edge) => ApplyLimits(kestrel.Limits, edge.Value));
        builder.Services.AddSingleton(connections);
        if (builder.Configuration.GetValue("Edge:Transport:MemoryBlockBytes", new TransportOptions().MemoryBlockBytes) != 0)
        {
            // Kestrel takes its pools' factory from the container: the sockets', TLS's and HTTP/2's blocks come from it.
            builder.Services.RemoveAll<IMemoryPoolFactory<byte>>();
            builder.Services.AddSingleton<Transport.BlockMemoryPoolFactory>();
            builder.Services.AddSingleton<IMemoryPoolFactory<byte>>(services => services.GetRequiredService<Transport.BlockMemoryPoolFactory>());
        }

        builder.Services.AddOptions<SocketTransportOptions>().Configure<IOptions<EdgeOptions>>((sockets, edge) =>
        {
            var transport = edge.Value.Transport;
            sockets.UnsafePreferInlineScheduling = transport.InlineScheduling;
            sockets.WaitForDataBeforeAllocatingBuffer = transport.WaitForDataBeforeAllocatingBuffer;
            if (transport.IOQueueCount > 0)
            {
                sockets.IOQueueCount = transport.IOQueueCount;
            }
        });

        // Per-request hosting logs would make every request start an Activity; the node's own metrics count requests.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Services.AddRoutingCore();
        Security.OperatorAuthentication.AddEdgeOperatorAuthentication(builder.Services);
        builder.Services.AddEdgeServer(builder.Configuration).AddDiskCache().AddPrometheusMetrics().AddProactiveFill().AddControlPlaneReporting();
        configure?.Invoke(builder);

        builder.Services.AddAccessLog("edge", services => services.GetRequiredService<IOptions<EdgeOptions>>().Value.NodeId);
        var app = builder.Build();
        app.UseAccessLog(countBodies: false);

        // A whole request has arrived: its connection leaves the half-open budget.
        app.Use((context, next) =>
        {
            connections.Established(context);
            return next(context);
        });
        var shortcut = new Security.CacheEndpointShortcut(app.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>(), app.Services.GetRequiredService<EdgeRequestHandler>().InvokeAsync);
        app.Use(shortcut.InvokeAsync);

        // Past the cache's shortcut: operator endpoints and metrics, whose bodies the access log counts itself.
        app.UseAccessLogBodyCounting();
        Security.OperatorAuthentication.Use(app);

        // Operator endpoints: the group's policy is also the fallback, so an endpoint added anywhere is guarded.
        var admin = app.MapGroup("/admin").RequireAuthorization(OperatorAuthenticationHandler.PolicyName);
        HealthEndpoints.Map(app, admin);
        Filling.AdminEndpoints.Map(admin);
        var metrics = app.Services.GetRequiredService<EdgeMetrics>();
        var accessLog = app.Services.GetRequiredService<AccessLog>();
        var dropped = metrics.Factory.CreateCounter("edge_access_log_dropped_total", "Access log lines dropped because the writer could not keep up or could not write (a full disk).");
        metrics.Registry.AddBeforeCollectCallback(() => dropped.IncTo(accessLog.Dropped));
        app.MapMetrics("/metrics", metrics.Registry).AllowAnonymous();

        // Everything else is a player's request for an object.
        var handler = app.Services.GetRequiredService<EdgeRequestHandler>();
        app.MapFallback("/{**path}", handler.InvokeAsync).AllowAnonymous().WithMetadata(new Security.CacheEndpoint());
        return app;
    }

    private static void ApplyLimits(KestrelServerLimits kestrel, EdgeOptions edge)
    {
        var limits = edge.Limits;

        // Connections get what the open-file cache leaves of the descriptor limit: out of descriptors, accept would fail.
        var soft = Caching.FileLimits.SoftLimit();
        var connections = Caching.FileLimits.MaxConnections(limits.MaxConnections, Caching.FileLimits.MaxOpenFiles(edge.MaxOpenFiles, soft), soft);
        kestrel.MaxConcurrentConnections = connections;
        kestrel.MaxConcurrentUpgradedConnections = connections;
        kestrel.MaxRequestLineSize = limits.MaxRequestLineBytes;
        kestrel.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersBytes;
        kestrel.MaxRequestHeaderCount = limits.MaxRequestHeaderCount;
        kestrel.RequestHeadersTimeout = limits.RequestHeadersTimeout;
        kestrel.KeepAliveTimeout = limits.KeepAliveTimeout;
        kestrel.MinResponseDataRate = limits.MinResponseBytesPerSecond > 0 ? new MinDataRate(limits.MinResponseBytesPerSecond, TimeSpan.FromSeconds(5)) : null;
        kestrel.Http2.MaxStreamsPerConnection = limits.Http2MaxStreamsPerConnection;
        kestrel.MaxResponseBufferSize = edge.Transport.MaxResponseBufferBytes;
    }
}
