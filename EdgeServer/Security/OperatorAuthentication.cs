using Edge.Contracts;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Serving;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Security;

/// <summary>
/// Operator access by endpoint metadata: every endpoint needs an operator (<c>Edge:AdminTokens</c>, or loopback
/// without tokens) unless it is marked anonymous, so no spelling of a path reaches an operator handler without
/// passing the policy. Operator endpoints also answer browsers on the origins in <c>Edge:AdminCorsOrigins</c>.
/// </summary>
internal static class OperatorAuthentication
{
    public static IServiceCollection AddEdgeOperatorAuthentication(this IServiceCollection services) =>
        services.AddOperatorAuthentication((scheme, provider) =>
        {
            var options = provider.GetRequiredService<IOptions<EdgeOptions>>().Value;
            scheme.Tokens = [.. options.AdminTokens];
            scheme.Realm = "edge-admin";
            scheme.TokensKey = "Edge:AdminTokens";
            scheme.TrustedWebOrigins = [.. options.AdminCorsOrigins.Select(o => o.TrimEnd('/'))];
        });

    /// <summary>Routing, then the cache endpoint directly, or operator CORS, the bypass <c>Cache-Status</c> and authorization for the others.</summary>
    public static void Use(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<EdgeOptions>>().Value;
        var cors = new AdminCors(options.AdminCorsOrigins);
        var bypass = app.Services.GetRequiredService<EdgeRequestHandler>().BypassStatus;
        app.UseRouting();
        app.Use((context, next) =>
        {
            var endpoint = context.GetEndpoint();
            if (endpoint is null)
            {
                return next(context);
            }

            if (endpoint.Metadata.GetMetadata<CacheEndpoint>() is not null)
            {
                // The cache endpoint is anonymous by design: it runs at once, without the authentication and
                // authorization middleware's per-request work on the hit path.
                return endpoint.RequestDelegate!(context);
            }

            context.Response.Headers[CacheStatus.HeaderName] = bypass;
            // Preflights carry no Authorization header, so they are answered before the policy runs.
            if (cors.Enabled && endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null && cors.Apply(context))
            {
                return Task.CompletedTask;
            }

            return next(context);
        });
        app.UseAuthentication();
        app.UseAuthorization();
    }
}

/// <summary>Marks the endpoint that serves cached objects, which carries its own <c>Cache-Status</c>.</summary>
internal sealed class CacheEndpoint;
