using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Edge.Contracts;

/// <summary>What an operator endpoint makes of a request's credentials.</summary>
public enum OperatorAccess
{
    /// <summary>Served.</summary>
    Allowed,

    /// <summary>No tokens are configured and the client is not on loopback: 403.</summary>
    NotLoopback,

    /// <summary>Tokens are configured and the request carries none: 401.</summary>
    Missing,

    /// <summary>The request's token matches none configured: 401.</summary>
    Invalid,

    /// <summary>No tokens are configured and a page on another web site sent the request through a browser: 403.</summary>
    CrossSite,
}

/// <summary>
/// The bearer tokens that open an edge's or a control plane's operator endpoints. Several may be active, so a
/// token can be rotated without a gap; each presented token is compared with all of them in constant time. With
/// none configured, only loopback clients are served, so a fresh deployment is never open to the network.
/// </summary>
public sealed class OperatorTokens(IEnumerable<string> tokens)
{
    private readonly byte[][] _tokens = [.. tokens.Select(t => Encoding.UTF8.GetBytes(t))];

    /// <summary>The smallest token length accepted in configuration.</summary>
    public const int MinimumLength = 16;

    /// <summary>Whether a configured token is long enough and free of spaces and control characters.</summary>
    public static bool IsAcceptable(string token) =>
        token.Length >= MinimumLength && !token.Any(c => char.IsControl(c) || char.IsWhiteSpace(c));

    /// <summary>The <c>WWW-Authenticate</c> challenge for a refusal, or null where none is due (403).</summary>
    public static string? Challenge(OperatorAccess access, string realm) => access switch
    {
        OperatorAccess.Missing => $"Bearer realm=\"{realm}\"",
        OperatorAccess.Invalid => $"Bearer realm=\"{realm}\", error=\"invalid_token\"",
        _ => null,
    };

    /// <summary>The response body for a refusal; <paramref name="tokensKey"/> is the setting that holds the tokens.</summary>
    public static string Refusal(OperatorAccess access, string tokensKey) => access switch
    {
        OperatorAccess.NotLoopback => $"forbidden: operator endpoints answer only loopback clients until {tokensKey} is set\n",
        OperatorAccess.CrossSite => "forbidden: operator endpoints do not answer pages of other web sites\n",
        OperatorAccess.Missing => "unauthorized: an operator bearer token is required\n",
        _ => "unauthorized: the operator token is not valid\n",
    };

    /// <summary>The status code for a refusal: 403 off loopback or cross-site without tokens, 401 otherwise.</summary>
    public static int StatusCode(OperatorAccess access) => access is OperatorAccess.NotLoopback or OperatorAccess.CrossSite ? 403 : 401;

    /// <param name="authorization">The <c>Authorization</c> header; null or empty when absent.</param>
    public OperatorAccess Check(string? authorization, IPAddress? client)
    {
        if (_tokens.Length == 0)
        {
            return client is not null && IPAddress.IsLoopback(client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client)
                ? OperatorAccess.Allowed
                : OperatorAccess.NotLoopback;
        }

        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return OperatorAccess.Missing;
        }

        var presented = Encoding.UTF8.GetBytes(authorization["Bearer ".Length..].Trim());
        var match = false;
        foreach (var token in _tokens)
        {
            match |= CryptographicOperations.FixedTimeEquals(presented, token);
        }

        return match ? OperatorAccess.Allowed : OperatorAccess.Invalid;
    }
}
