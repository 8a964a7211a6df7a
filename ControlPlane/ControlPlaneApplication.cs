using System.Net;
using Edge.Contracts;
using Edge.Contracts.AccessLogging;
using Edge.Contracts.Logging;
using Edge.ControlPlane.Configuration;
using Edge.ControlPlane.Health;
using Edge.ControlPlane.Metrics;
using Edge.ControlPlane.Steering;
using Edge.ControlPlane.Topology;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Edge.ControlPlane;

/// <summary>Builds a control-plane replica's web application from standard .NET configuration.</summary>
public static class ControlPlaneApplication
{
    /// <summary>Builds the app and loads the topology; throws <see cref="TopologyException"/> or <see cref="OptionsValidationException"/> on bad configuration.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddRepeatLimitedLogging();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ConfigureHttpsDefaults(https =>
            {
                var files = kestrel.ApplicationServices.GetRequiredService<Edge.Contracts.CertificateFiles>();
                if (files.Enabled)
                {
                    https.ServerCertificateSelector = (_, _) => files.Current();
                }
            });
        });
        builder.Services.AddSingleton(services =>
        {
            var value = services.GetRequiredService<IOptions<ControlPlaneOptions>>().Value;
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Edge.ControlPlane.Tls");
            return new Edge.Contracts.CertificateFiles(value.TlsCertificatePath, value.TlsKeyPath, d => Security.TlsLog.Loaded(logger, d), r => Security.TlsLog.LoadFailed(logger, r));
        });
        builder.Services.AddControlPlane(builder.Configuration).AddSteering();
        builder.Services.AddRoutingCore();
        builder.Services.AddOperatorAuthentication(
            (scheme, services) =>
            {
                var value = services.GetRequiredService<IOptions<ControlPlaneOptions>>().Value;
                scheme.Tokens = [.. value.AdminTokens];
                scheme.Realm = "edge-control-plane";
                scheme.TokensKey = "ControlPlane:AdminTokens";
            },
            (scheme, services) => scheme.Keys = [.. services.GetRequiredService<IOptions<ControlPlaneOptions>>().Value.NodeKeys]);
        builder.Services.AddAccessLog("control-plane", _ => Environment.MachineName);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseAccessLog(countBodies: true);
        var options = app.Services.GetRequiredService<IOptions<ControlPlaneOptions>>().Value;
        var topology = app.Services.GetRequiredService<TopologyStore>();
        topology.Load();
        topology.Watch();

        // The middleware believes everyone when its lists are empty, so it runs only when proxies are named.
        if (options.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders(ForwardedHeaders(options));
        }

        // Static assets of the pages are public and served before routing.
        Pages.PageEndpoints.UseAssets(app);
        app.UseRouting();
        // Every endpoint needs an operator unless it is marked anonymous (players, probes, metrics) or a node's own.
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapGet("/healthz", () => "ok\n").AllowAnonymous();
        app.MapGet("/readyz", () => "ready\n").AllowAnonymous();
        var metrics = app.Services.GetRequiredService<ControlPlaneMetrics>();
        app.MapMetrics("/metrics", metrics.Registry).AllowAnonymous();
        NodeEndpoints.Map(app);
        SteeringEndpoints.Map(app);
        Pages.PageEndpoints.Map(app);
        return app;
    }

    // X-Forwarded-For is believed only from the configured proxies (not loopback by default).
    private static ForwardedHeadersOptions ForwardedHeaders(ControlPlaneOptions options)
    {
        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor, ForwardLimit = null };
        forwarded.KnownIPNetworks.Clear();
        forwarded.KnownProxies.Clear();
        foreach (var proxy in options.TrustedProxies)
        {
            if (System.Net.IPNetwork.TryParse(proxy, out var network))
            {
                forwarded.KnownIPNetworks.Add(network);
            }
            else
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        }

        return forwarded;
    }
}
