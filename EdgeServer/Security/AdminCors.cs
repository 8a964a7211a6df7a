using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Edge.EdgeServer.Security;

/// <summary>
/// CORS for the operator endpoints, so an operator page on another origin (the control plane's) can drain, fill
/// and purge from a browser. Only the origins in <c>Edge:AdminCorsOrigins</c> are answered; a preflight is
/// answered before authentication because browsers send it without the <c>Authorization</c> header.
/// </summary>
internal sealed class AdminCors(IEnumerable<string> origins)
{
    private static readonly StringValues Methods = "GET, HEAD, POST, PUT, DELETE";
    private static readonly StringValues Headers = "Authorization, Content-Type";
    private static readonly StringValues Exposed = "Location";
    private static readonly StringValues MaxAge = "600";

    private readonly HashSet<string> _origins = new(origins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);

    public bool Enabled => _origins.Count > 0;

    /// <summary>True for <c>scheme://host[:port]</c> with an http(s) scheme and nothing after the authority.</summary>
    public static bool IsOrigin(string value) =>
        Uri.TryCreate(value.TrimEnd('/'), UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0
        && value.TrimEnd('/').Length == uri.GetLeftPart(UriPartial.Authority).TrimEnd('/').Length;

    /// <summary>Adds the CORS headers for an allowed origin; true when the request was a preflight and is answered.</summary>
    public bool Apply(HttpContext context)
    {
        var request = context.Request.Headers;
        var headers = context.Response.Headers;
        headers.Vary = "Origin";
        if (request.Origin is not [{ } origin] || !_origins.Contains(origin))
        {
            return false;
        }

        headers.AccessControlAllowOrigin = origin;
        headers.AccessControlExposeHeaders = Exposed;
        if (!HttpMethods.IsOptions(context.Request.Method) || StringValues.IsNullOrEmpty(request.AccessControlRequestMethod))
        {
            return false;
        }

        headers.AccessControlAllowMethods = Methods;
        headers.AccessControlAllowHeaders = Headers;
        headers.AccessControlMaxAge = MaxAge;
        headers.CacheControl = "no-store";
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return true;
    }
}
