using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Edge.EdgeServer.Serving;

namespace Edge.EdgeServer.Health;

/// <summary><c>/healthz</c> and <c>/readyz</c> for anyone, and the operator's drain switch at <c>/admin/drain</c>.</summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app, RouteGroupBuilder admin)
    {
        var state = app.ServiceProvider.GetRequiredService<NodeState>();

        app.Map("/healthz", context =>
        {
            NotCacheable(context);
            return EdgeRequestHandler.WriteTextAsync(context, StatusCodes.Status200OK, "ok\n");
        }).AllowAnonymous();

        app.Map("/readyz", context =>
        {
            NotCacheable(context);
            var ready = state.IsReady(out var reason);
            // Anyone may probe: the answer names the class of the problem; paths and errors go in the heartbeat and the log.
            var colon = reason.IndexOf(':', StringComparison.Ordinal);
            return EdgeRequestHandler.WriteTextAsync(context, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, (colon > 0 ? reason[..colon] : reason) + "\n");
        }).AllowAnonymous();

        admin.Map("/drain", context =>
        {
            NotCacheable(context);
            switch (context.Request.Method)
            {
                case "PUT" or "POST":
                    state.Draining = true;
                    break;
                case "DELETE":
                    state.Draining = false;
                    break;
                case "GET" or "HEAD":
                    break;
                default:
                    context.Response.Headers.Allow = "GET, HEAD, PUT, POST, DELETE";
                    return EdgeRequestHandler.WriteTextAsync(context, StatusCodes.Status405MethodNotAllowed, "method not allowed\n");
            }

            return EdgeRequestHandler.WriteTextAsync(context, StatusCodes.Status200OK, state.Draining ? "draining\n" : "serving\n");
        });
    }

    // Health answers describe this instant; no cache on the way may keep them.
    private static void NotCacheable(HttpContext context) => context.Response.Headers.CacheControl = "no-store";
}
