using Edge.EdgeServer.Health;
using Edge.EdgeServer.Metrics;
using Edge.EdgeServer.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Edge.EdgeServer;

/// <summary>Builds the edge node's web application from standard .NET configuration.</summary>
public static class EdgeApplication
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var connections = new ConnectionCounter();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(connections.Wrap));
        });
        builder.Services.AddSingleton(connections);

        // Per-request hosting logs would make every request start an Activity; the node's own metrics count requests.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Services.AddEdgeServer(builder.Configuration).AddDiskCache().AddPrometheusMetrics().AddProactiveFill().AddControlPlaneReporting();
        configure?.Invoke(builder);

        var app = builder.Build();
        HealthEndpoints.Map(app);
        Filling.AdminEndpoints.Map(app);
        var metrics = app.Services.GetRequiredService<EdgeMetrics>();
        var bypass = app.Services.GetRequiredService<EdgeRequestHandler>().BypassStatus;
        app.Map("/metrics", branch =>
        {
            branch.Use((HttpContext context, RequestDelegate next) =>
            {
                context.Response.Headers[CacheStatus.HeaderName] = bypass;
                return next(context);
            });
            branch.UseMetricServer(settings => settings.Registry = metrics.Registry, url: null);
        });

        var handler = app.Services.GetRequiredService<EdgeRequestHandler>();
        app.Run(handler.InvokeAsync);
        return app;
    }
}
