using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.Contracts;

/// <summary>Settings of the operator bearer-token scheme.</summary>
public sealed class OperatorAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>The tokens that open operator endpoints; none means loopback clients only.</summary>
    public IReadOnlyList<string> Tokens { get; set; } = [];

    /// <summary>The realm named in <c>WWW-Authenticate</c>.</summary>
    public string Realm { get; set; } = "edge";

    /// <summary>The configuration key that holds the tokens, named in refusals.</summary>
    public string TokensKey { get; set; } = "";

    /// <summary>Web origins whose pages may call operator endpoints without a token from a token-less loopback setup.</summary>
    public IReadOnlyCollection<string> TrustedWebOrigins { get; set; } = [];
}

/// <summary>
/// Authenticates operators by <c>Authorization: Bearer</c> against <see cref="OperatorTokens"/>, or, with no token
/// configured, by being on loopback. Endpoints opt out with <c>AllowAnonymous</c>; everything else needs it, because
/// it is the fallback authorization policy.
/// </summary>
public sealed class OperatorAuthenticationHandler(IOptionsMonitor<OperatorAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<OperatorAuthenticationOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "Operator";

    /// <summary>The authorization policy every non-anonymous endpoint falls back to.</summary>
    public const string PolicyName = "operator";

    private static readonly object AccessKey = new();
    private OperatorTokens? _tokens;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        _tokens ??= new OperatorTokens(Options.Tokens);
        var access = _tokens.Check(Request.Headers.Authorization.ToString(), Context.Connection.RemoteIpAddress);
        if (access == OperatorAccess.Allowed && Options.Tokens.Count == 0 && IsCrossSite())
        {
            // A page on some other web site must not reach a token-less loopback node through the operator's browser.
            access = OperatorAccess.CrossSite;
        }

        Context.Items[AccessKey] = access;
        if (access != OperatorAccess.Allowed)
        {
            return Task.FromResult(AuthenticateResult.Fail(access.ToString()));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Role, "operator")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => RefuseAsync();

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => RefuseAsync();

    private Task RefuseAsync()
    {
        var access = Context.Items[AccessKey] as OperatorAccess? ?? OperatorAccess.Missing;
        var response = Response;
        response.Headers.CacheControl = "no-store";
        if (OperatorTokens.Challenge(access, Options.Realm) is { } challenge)
        {
            response.Headers.WWWAuthenticate = challenge;
        }

        return PlainText.WriteAsync(Context, OperatorTokens.StatusCode(access), OperatorTokens.Refusal(access, Options.TokensKey));
    }

    // Browsers send Origin with every cross-origin request and Sec-Fetch-Site with every request; scripts send neither.
    private bool IsCrossSite()
    {
        var headers = Request.Headers;
        if (headers.Origin is not [{ } origin])
        {
            return headers["Sec-Fetch-Site"] is [{ } site] && site == "cross-site";
        }

        var own = Request.Scheme + "://" + Request.Host.Value;
        return !string.Equals(origin, own, StringComparison.OrdinalIgnoreCase)
            && !Options.TrustedWebOrigins.Contains(origin.TrimEnd('/'), StringComparer.OrdinalIgnoreCase);
    }
}

/// <summary>Registers the operator scheme and makes its policy the fallback for every endpoint.</summary>
public static class OperatorAuthenticationExtensions
{
    public static IServiceCollection AddOperatorAuthentication(this IServiceCollection services, Action<OperatorAuthenticationOptions, IServiceProvider> configure) =>
        services.AddOperatorAuthentication(configure, null);

    /// <summary>Also registers the node scheme and its policy, for endpoints a node calls about itself.</summary>
    public static IServiceCollection AddOperatorAuthentication(this IServiceCollection services, Action<OperatorAuthenticationOptions, IServiceProvider> configure, Action<NodeAuthenticationOptions, IServiceProvider>? nodes)
    {
        // No default scheme: authentication runs only where an endpoint's policy asks, never on the hit path.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        var authentication = services.AddAuthentication()
            .AddScheme<OperatorAuthenticationOptions, OperatorAuthenticationHandler>(OperatorAuthenticationHandler.SchemeName, _ => { });
        services.AddOptions<OperatorAuthenticationOptions>(OperatorAuthenticationHandler.SchemeName).Configure<IServiceProvider>(configure);
        var authorization = services.AddAuthorizationBuilder()
            .AddPolicy(OperatorAuthenticationHandler.PolicyName, Policy(OperatorAuthenticationHandler.SchemeName))
            .SetFallbackPolicy(Policy(OperatorAuthenticationHandler.SchemeName));
        if (nodes is not null)
        {
            authentication.AddScheme<NodeAuthenticationOptions, NodeAuthenticationHandler>(NodeAuthenticationHandler.SchemeName, _ => { });
            services.AddOptions<NodeAuthenticationOptions>(NodeAuthenticationHandler.SchemeName).Configure<IServiceProvider>(nodes);
            authorization.AddPolicy(NodeAuthenticationHandler.PolicyName, Policy(NodeAuthenticationHandler.SchemeName));
        }

        return services;
    }

    private static AuthorizationPolicy Policy(string scheme) => new AuthorizationPolicyBuilder(scheme).RequireAuthenticatedUser().Build();
}
