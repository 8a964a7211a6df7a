using Edge.EdgeServer.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace Edge.EdgeServer.Health;

/// <summary><c>/healthz</c>, <c>/readyz</c> and the drain switch at <c>/admin/drain</c>.</summary>
internal static class HealthEndpoints
{
    public static void Map(IApplicationBuilder app)
    {
        var state = app.ApplicationServices.GetRequiredService<NodeState>();
        var bypass = app.ApplicationServices.GetRequiredService<EdgeRequestHandler>().BypassStatus;

        app.Map("/healthz", branch => branch.Run(context =>
        {
            NotCacheable(context, bypass);
            return EdgeRequestHandler.WriteTextAsync(context, StatusCodes.Status200OK, "ok\n");
        }));

        app.Map("/readyz", branch => branch.Run(context =>
        {
            NotCacheable(context, bypass);
            var ready = state.IsReady(out var reason);
            return EdgeRequestHandler.WriteTextAsync(context, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, reason + "\n");
        }));

        app.Map("/admin/drain", branch => branch.Run(context =>
        {
            NotCacheable(context, bypass);
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
        }));
    }

    // Health answers describe this instant; no cache on the way may keep them.
    private static void NotCacheable(HttpContext context, StringValues bypass)
    {
        context.Response.Headers[CacheStatus.HeaderName] = bypass;
        context.Response.Headers.CacheControl = "no-store";
    }
}
