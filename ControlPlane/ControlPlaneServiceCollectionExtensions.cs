using Edge.ControlPlane.Configuration;
using Edge.ControlPlane.Health;
using Edge.ControlPlane.Metrics;
using Edge.ControlPlane.Steering;
using Edge.ControlPlane.Topology;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Edge.ControlPlane;

/// <summary>Chains the parts of a control plane onto a service collection.</summary>
public interface IControlPlaneBuilder
{
    IServiceCollection Services { get; }
}

/// <summary>Registration of the control plane's services.</summary>
public static class ControlPlaneServiceCollectionExtensions
{
    /// <summary>Adds options (validated at start), the topology, health tracking and probes.</summary>
    public static IControlPlaneBuilder AddControlPlane(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ControlPlaneOptions>().Bind(configuration.GetSection(ControlPlaneOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ControlPlaneOptions>, ControlPlaneOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TopologyStore>();
        services.TryAddSingleton<NodeHealthTracker>();
        services.TryAddSingleton<NodeHttpClient>();
        services.TryAddSingleton<NodeProber>();
        services.AddHostedService(sp => sp.GetRequiredService<NodeProber>());
        services.TryAddSingleton<ControlPlaneMetrics>();
        return new Builder(services);
    }

    /// <summary>Adds steering with rendezvous placement.</summary>
    public static IControlPlaneBuilder AddSteering(this IControlPlaneBuilder builder)
    {
        builder.Services.TryAddSingleton<IPlacementPolicy, RendezvousPlacementPolicy>();
        builder.Services.TryAddSingleton<Steerer>();
        builder.Services.TryAddSingleton<SteeringEndpoints>();
        return builder;
    }

    private sealed class Builder(IServiceCollection services) : IControlPlaneBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
