using System.Net;
using System.Security.Cryptography;
using System.Text;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Edge.EdgeServer.Security;

/// <summary>
/// Guards the operator's endpoints under <c>/admin</c> (fill, pins, purge, drain). With <c>Edge:AdminTokens</c> set,
/// a request needs <c>Authorization: Bearer</c> with one of them (several, so a token can be rotated without a gap),
/// compared in constant time. Without tokens, only loopback clients are served, so a fresh node is never open.
/// </summary>
internal static class OperatorAuthentication
{
    public static void Use(IApplicationBuilder app)
    {
        var tokens = app.ApplicationServices.GetRequiredService<IOptions<EdgeOptions>>().Value.AdminTokens
            .Select(t => Encoding.UTF8.GetBytes(t)).ToArray();
        var bypass = app.ApplicationServices.GetRequiredService<EdgeRequestHandler>().BypassStatus;
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/admin", StringComparison.Ordinal), branch => branch.Use((context, next) =>
        {
            var refusal = Check(context, tokens);
            if (refusal is null)
            {
                return next(context);
            }

            context.Response.Headers[CacheStatus.HeaderName] = bypass;
            context.Response.Headers.CacheControl = "no-store";
            if (refusal.Value.Status == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = refusal.Value.Challenge;
            }

            return EdgeRequestHandler.WriteTextAsync(context, refusal.Value.Status, refusal.Value.Message);
        }));
    }

    internal static (int Status, string Message, StringValues Challenge)? Check(HttpContext context, byte[][] tokens)
    {
        if (tokens.Length == 0)
        {
            var remote = context.Connection.RemoteIpAddress;
            return remote is not null && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)
                ? null
                : (StatusCodes.Status403Forbidden, "forbidden: operator endpoints answer only loopback clients until Edge:AdminTokens is set\n", default);
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return (StatusCodes.Status401Unauthorized, "unauthorized: an operator bearer token is required\n", "Bearer realm=\"edge-admin\"");
        }

        var presented = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        var match = false;
        foreach (var token in tokens)
        {
            // Every token is compared, each in constant time, so timing says nothing about which one nearly matched.
            match |= CryptographicOperations.FixedTimeEquals(presented, token);
        }

        return match
            ? null
            : (StatusCodes.Status401Unauthorized, "unauthorized: the operator token is not valid\n", "Bearer realm=\"edge-admin\", error=\"invalid_token\"");
    }
}
