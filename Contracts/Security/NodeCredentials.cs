using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.Contracts;

/// <summary>
/// Per-node identity for heartbeats: a node's token is <c>hex(HMAC-SHA256(key, nodeId))</c> under one of the control
/// planes' node keys, so a token opens only its own node's reports, and the control planes keep one secret for all.
/// The same value comes from <c>printf %s "$id" | openssl dgst -sha256 -hmac "$key"</c>.
/// </summary>
public static class NodeCredentials
{
    /// <summary>The token node <paramref name="nodeId"/> presents under <paramref name="key"/>.</summary>
    public static string Derive(string key, string nodeId) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(nodeId)));

    /// <summary>Whether <paramref name="token"/> is <paramref name="nodeId"/>'s under any of <paramref name="keys"/>, in constant time.</summary>
    public static bool Verify(IReadOnlyList<string> keys, string nodeId, ReadOnlySpan<char> token)
    {
        var presented = Encoding.UTF8.GetBytes(token.ToArray());
        var match = false;
        foreach (var key in keys)
        {
            match |= CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(Derive(key, nodeId)));
        }

        return match;
    }
}

/// <summary>Settings of the node scheme.</summary>
public sealed class NodeAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>The node keys; none means reports are heard unverified (and trusted less).</summary>
    public IReadOnlyList<string> Keys { get; set; } = [];

    /// <summary>The route value that names the node the request speaks for.</summary>
    public string NodeRouteValue { get; set; } = "id";
}

/// <summary>
/// Authenticates a node's request for the node named in its route. With keys configured, only that node's token is
/// accepted; without, every caller is let through as an unverified node (<see cref="VerifiedClaim"/> absent).
/// </summary>
public sealed class NodeAuthenticationHandler(IOptionsMonitor<NodeAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<NodeAuthenticationOptions>(options, logger, encoder)
{
    public const string SchemeName = "Node";
    public const string PolicyName = "node";

    /// <summary>Present, with the node's id as its value, when the request proved it speaks for that node.</summary>
    public const string VerifiedClaim = "edge:verified-node";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var node = Context.GetRouteValue(Options.NodeRouteValue) as string ?? "";
        if (Options.Keys.Count == 0)
        {
            return Task.FromResult(Success([]));
        }

        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || node.Length == 0
            || !NodeCredentials.Verify(Options.Keys, node, header.AsSpan("Bearer ".Length).Trim()))
        {
            return Task.FromResult(AuthenticateResult.Fail("not this node's token"));
        }

        return Task.FromResult(Success([new Claim(VerifiedClaim, node)]));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        const string text = "unauthorized: this node's token is required (HMAC-SHA256 of the node id under a ControlPlane:NodeKeys key)\n";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"edge-nodes\"";
        Response.Headers.CacheControl = "no-store";
        Response.ContentType = "text/plain; charset=utf-8";
        return Response.WriteAsync(text, Context.RequestAborted);
    }

    private static AuthenticateResult Success(Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
}
