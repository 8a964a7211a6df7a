using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Edge.Contracts;

/// <summary>Why a signed URL was refused; the edge sends it as the 403's reason code.</summary>
public enum SignatureFailure
{
    /// <summary>Valid.</summary>
    None,

    /// <summary>No token in a request that needs one.</summary>
    Missing,

    /// <summary>The token is not in the expected shape.</summary>
    Malformed,

    /// <summary>The token names a key the node does not have.</summary>
    UnknownKey,

    /// <summary>The HMAC does not match.</summary>
    BadSignature,

    /// <summary>The expiry has passed.</summary>
    Expired,

    /// <summary>The requested path is outside the signed prefix.</summary>
    WrongPrefix,

    /// <summary>The token is bound to another client address.</summary>
    WrongClient,
}

/// <summary>
/// Signed URLs. A token is carried as the first path segments, <c>/_t/{token}/title/...</c>, so playlists' relative
/// URIs inherit it. The token is <c>{keyId}~{expiry}~{prefix}~{client}~{signature}</c>:
/// <list type="bullet">
/// <item>the expiry is in Unix seconds;</item>
/// <item>the prefix is base64url-encoded;</item>
/// <item>the client address is optional;</item>
/// <item>the signature is an HMAC-SHA256 over the first four fields under the named key, base64url-encoded.</item>
/// </list>
/// Several keys may be active, by id, so keys can be rotated. Verification is constant-time. The token is never part
/// of the cache key.
/// </summary>
public sealed class UrlSignature(IReadOnlyDictionary<string, byte[]> keys)
{
    /// <summary>The first path segment that introduces a token.</summary>
    public const string Marker = "/_t/";

    public bool Enabled => keys.Count > 0;

    /// <summary>Parses <c>ControlPlane:UrlSigning:Keys</c>-style configuration: key id to base64 secret of at least 32 bytes.</summary>
    public static bool TryParseKey(string base64, out byte[] key)
    {
        key = [];
        try
        {
            key = Convert.FromBase64String(base64);
            return key.Length >= 32;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>The keys of a configuration section (id to base64 secret) that parse; the validators report the rest.</summary>
    public static Dictionary<string, byte[]> ParseKeys(IEnumerable<KeyValuePair<string, string>> configured)
    {
        var parsed = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, secret) in configured)
        {
            if (TryParseKey(secret, out var key) && IsKeyId(id))
            {
                parsed[id] = key;
            }
        }

        return parsed;
    }

    /// <summary>A configuration error for each key that does not parse, named under <paramref name="section"/>.</summary>
    public static IEnumerable<string> KeyProblems(IEnumerable<KeyValuePair<string, string>> configured, string section) =>
        configured.Where(k => !TryParseKey(k.Value, out _) || !IsKeyId(k.Key))
            .Select(k => $"{section}:Keys:{k.Key} must be base64 of at least 32 bytes (openssl rand -base64 32), under an id of letters, digits, '-' and '_'");

    /// <summary>Key ids are letters, digits, '-' and '_' (they travel inside the token).</summary>
    public static bool IsKeyId(string id) => id.Length > 0 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>The token for <paramref name="prefix"/>, valid until <paramref name="expires"/>, optionally only for <paramref name="client"/>.</summary>
    public string Sign(string keyId, string prefix, DateTimeOffset expires, IPAddress? client = null)
    {
        var payload = $"{keyId}~{expires.ToUnixTimeSeconds()}~{Base64Url(Encoding.UTF8.GetBytes(prefix))}~{client?.ToString().Replace(':', '-') ?? ""}";
        return payload + "~" + Base64Url(HMACSHA256.HashData(keys[keyId], Encoding.UTF8.GetBytes(payload)));
    }

    /// <summary>The signed URL path for <paramref name="path"/>.</summary>
    public string SignPath(string keyId, string prefix, string path, DateTimeOffset expires, IPAddress? client = null) =>
        Marker.TrimEnd('/') + "/" + Sign(keyId, prefix, expires, client) + path;

    /// <summary>
    /// Splits <c>/_t/{token}/rest</c> into the token and the object path; false when the path carries no token.
    /// </summary>
    public static bool TrySplit(string path, out string token, out string rest)
    {
        token = rest = "";
        if (!path.StartsWith(Marker, StringComparison.Ordinal))
        {
            return false;
        }

        var end = path.IndexOf('/', Marker.Length);
        if (end < 0)
        {
            return false;
        }

        token = path[Marker.Length..end];
        rest = path[end..];
        return true;
    }

    /// <summary>Checks a token for a request of <paramref name="path"/> by <paramref name="client"/> at <paramref name="now"/>.</summary>
    public SignatureFailure Verify(string token, string path, IPAddress? client, DateTimeOffset now)
    {
        var parts = token.Split('~');
        if (parts.Length != 5 || !long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var expiry))
        {
            return SignatureFailure.Malformed;
        }

        if (!keys.TryGetValue(parts[0], out var key))
        {
            return SignatureFailure.UnknownKey;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(token[..token.LastIndexOf('~')]), expected);
        if (!TryFromBase64Url(parts[4], out var presented) || !CryptographicOperations.FixedTimeEquals(expected, presented))
        {
            return SignatureFailure.BadSignature;
        }

        if (now.ToUnixTimeSeconds() >= expiry)
        {
            return SignatureFailure.Expired;
        }

        // A segment starting with ".." ("..;", "..%2f") may climb out of the prefix at an origin that reads it as "..".
        if (!TryFromBase64Url(parts[2], out var prefixBytes) || !path.StartsWith(Encoding.UTF8.GetString(prefixBytes), StringComparison.Ordinal)
            || path.Contains("/..", StringComparison.Ordinal))
        {
            return SignatureFailure.WrongPrefix;
        }

        if (parts[3].Length > 0)
        {
            var bound = parts[3].Replace('-', ':');
            var actual = client is null ? null : (client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client).ToString();
            if (!string.Equals(bound, actual, StringComparison.Ordinal))
            {
                return SignatureFailure.WrongClient;
            }
        }

        return SignatureFailure.None;
    }

    /// <summary>The reason code sent with a 403.</summary>
    public static string ReasonCode(SignatureFailure failure) => failure switch
    {
        SignatureFailure.Missing => "missing-token",
        SignatureFailure.Malformed => "malformed-token",
        SignatureFailure.UnknownKey => "unknown-key",
        SignatureFailure.BadSignature => "bad-signature",
        SignatureFailure.Expired => "expired",
        SignatureFailure.WrongPrefix => "wrong-prefix",
        SignatureFailure.WrongClient => "wrong-client",
        _ => "ok",
    };

    private static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryFromBase64Url(string text, out byte[] bytes)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        bytes = new byte[padded.Length];
        if (Convert.TryFromBase64String(padded, bytes, out var written))
        {
            bytes = bytes[..written];
            return true;
        }

        return false;
    }
}
