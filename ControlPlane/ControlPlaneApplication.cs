using System.Net;
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
        configure?.Invoke(builder);

        var app = builder.Build();
        var options = app.Services.GetRequiredService<IOptions<ControlPlaneOptions>>().Value;
        var topology = app.Services.GetRequiredService<TopologyStore>();
        topology.Load();
        topology.Watch();

        // The middleware believes everyone when its lists are empty, so it runs only when proxies are named.
        if (options.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders(ForwardedHeaders(options));
        }

        Security.OperatorAuthentication.Use(app, options.AdminTokens);
        app.UseRouting();

        app.MapGet("/healthz", () => "ok\n");
        app.MapGet("/readyz", () => "ready\n");
        var metrics = app.Services.GetRequiredService<ControlPlaneMetrics>();
        app.Map("/metrics", branch => branch.UseMetricServer(settings => settings.Registry = metrics.Registry, url: null));
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
