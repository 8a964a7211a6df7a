using Edge.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Edge.ControlPlane.Security;

/// <summary>
/// Guards the operator's read APIs (<c>/v1/nodes</c>, <c>/v1/topology</c>, <c>/v1/explain</c>) with
/// <see cref="OperatorTokens"/> from <c>ControlPlane:AdminTokens</c>. Player endpoints (steer, play, steering
/// manifests), node heartbeats, probes and metrics are not operator endpoints.
/// </summary>
internal static class OperatorAuthentication
{
    public static void Use(IApplicationBuilder app, IEnumerable<string> adminTokens)
    {
        var tokens = new OperatorTokens(adminTokens);
        app.UseWhen(IsOperatorRequest, branch => branch.Use(async (context, next) =>
        {
            var access = tokens.Check(context.Request.Headers.Authorization.ToString(), context.Connection.RemoteIpAddress);
            if (access == OperatorAccess.Allowed)
            {
                await next(context);
                return;
            }

            context.Response.Headers.CacheControl = "no-store";
            context.Response.StatusCode = OperatorTokens.StatusCode(access);
            if (OperatorTokens.Challenge(access, "edge-control-plane") is { } challenge)
            {
                context.Response.Headers.WWWAuthenticate = challenge;
            }

            await context.Response.WriteAsync(OperatorTokens.Refusal(access, "ControlPlane:AdminTokens"));
        }));
    }

    internal static bool IsOperatorRequest(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/v1/topology", StringComparison.Ordinal) || path.StartsWithSegments("/v1/explain", StringComparison.Ordinal))
        {
            return true;
        }

        // Node heartbeats carry their own identity; everything else under /v1/nodes is the operator's view.
        return path.StartsWithSegments("/v1/nodes", StringComparison.Ordinal)
            && !(HttpMethods.IsPost(context.Request.Method) && path.Value!.EndsWith("/heartbeat", StringComparison.Ordinal));
    }
}
