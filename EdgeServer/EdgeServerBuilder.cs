using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Caching.Internal;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Health;
using Edge.EdgeServer.Live;
using Edge.EdgeServer.Metrics;
using Edge.EdgeServer.Origin;
using Edge.EdgeServer.Serving;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer;

/// <summary>Chains the parts of an edge node onto a service collection.</summary>
public interface IEdgeServerBuilder
{
    IServiceCollection Services { get; }
}

/// <summary>Registration of the edge node's services.</summary>
public static class EdgeServerServiceCollectionExtensions
{
    /// <summary>Adds options (validated at start), serving, origin fills and health.</summary>
    public static IEdgeServerBuilder AddEdgeServer(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EdgeOptions>().Bind(configuration.GetSection(EdgeOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EdgeOptions>, EdgeOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<OriginClient>();
        services.TryAddSingleton<PartTargets>();
        services.TryAddSingleton<FillCoordinator>();
        services.TryAddSingleton<RequestGate>();
        services.TryAddSingleton<CacheLookup>();
        services.TryAddSingleton<UnsafeMethodForwarder>();
        services.TryAddSingleton<EdgeRequestHandler>();
        services.TryAddSingleton<Cmcd.CmcdQuality>();
        services.TryAddSingleton<Cmcd.NextObjectPrefetch>();
        services.TryAddSingleton<StalledWrites>();
        services.TryAddSingleton<NodeState>();
        services.TryAddSingleton<ConnectionCounter>();
        services.TryAddSingleton<Security.CertificateReloader>();
        return new Builder(services);
    }

    /// <summary>Adds the disk cache over <c>Edge:CacheDirectories</c> (or <c>Edge:CacheDirectory</c>), each disk with the eviction policy named by <c>Edge:EvictionPolicy</c>.</summary>
    public static IEdgeServerBuilder AddDiskCache(this IEdgeServerBuilder builder)
    {
        builder.Services.TryAddSingleton<ICacheFileSystem>(PhysicalCacheFileSystem.Instance);
        builder.Services.TryAddSingleton<DiskCache>();
        builder.Services.TryAddSingleton<MemoryTier>();
        builder.Services.TryAddSingleton<Doorkeeper>();
        return builder;
    }

    /// <summary>Adds the node's Prometheus metrics, served at <c>/metrics</c>.</summary>
    public static IEdgeServerBuilder AddPrometheusMetrics(this IEdgeServerBuilder builder)
    {
        builder.Services.TryAddSingleton(sp => new EdgeMetrics(
            sp.GetRequiredService<DiskCache>(),
            sp.GetRequiredService<IOptions<EdgeOptions>>().Value.NodeId,
            sp.GetRequiredService<MemoryTier>(),
            sp.GetRequiredService<ConnectionCounter>(),
            sp.GetRequiredService<StalledWrites>()));
        return builder;
    }

    /// <summary>Adds proactive fill jobs (<c>/admin/fills</c>), resumed from the cache directory at start.</summary>
    public static IEdgeServerBuilder AddProactiveFill(this IEdgeServerBuilder builder)
    {
        builder.Services.TryAddSingleton<Filling.FillService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Filling.FillService>());
        return builder;
    }

    /// <summary>Adds heartbeats to the control planes named by <c>Edge:ControlPlaneUrls</c>.</summary>
    public static IEdgeServerBuilder AddControlPlaneReporting(this IEdgeServerBuilder builder)
    {
        builder.Services.TryAddSingleton<IControlPlaneResolver, DnsControlPlaneResolver>();
        builder.Services.TryAddSingleton<HeartbeatReporter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HeartbeatReporter>());
        return builder;
    }

    private sealed class Builder(IServiceCollection services) : IEdgeServerBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
