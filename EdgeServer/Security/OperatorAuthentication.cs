using Edge.Contracts;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Security;

/// <summary>
/// Guards the operator's endpoints under <c>/admin</c> (fill, pins, purge, drain) with <see cref="OperatorTokens"/>
/// from <c>Edge:AdminTokens</c>, and answers browsers on the origins in <c>Edge:AdminCorsOrigins</c>.
/// </summary>
internal static class OperatorAuthentication
{
    public static void Use(IApplicationBuilder app)
    {
        var options = app.ApplicationServices.GetRequiredService<IOptions<EdgeOptions>>().Value;
        var tokens = new OperatorTokens(options.AdminTokens);
        var cors = new AdminCors(options.AdminCorsOrigins);
        var bypass = app.ApplicationServices.GetRequiredService<EdgeRequestHandler>().BypassStatus;
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/admin", StringComparison.Ordinal), branch => branch.Use((context, next) =>
        {
            if (cors.Enabled && cors.Apply(context))
            {
                context.Response.Headers[CacheStatus.HeaderName] = bypass;
                return Task.CompletedTask;
            }

            var access = tokens.Check(context.Request.Headers.Authorization.ToString(), context.Connection.RemoteIpAddress);
            if (access == OperatorAccess.Allowed)
            {
                return next(context);
            }

            context.Response.Headers[CacheStatus.HeaderName] = bypass;
            context.Response.Headers.CacheControl = "no-store";
            if (OperatorTokens.Challenge(access, "edge-admin") is { } challenge)
            {
                context.Response.Headers.WWWAuthenticate = challenge;
            }

            return EdgeRequestHandler.WriteTextAsync(context, OperatorTokens.StatusCode(access), OperatorTokens.Refusal(access, "Edge:AdminTokens"));
        }));
    }
}
