using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Edge.ControlPlane.Steering;

/// <summary>Request checks and CORS shared by the player-facing endpoints.</summary>
internal static class PlayerHttp
{
    public const int MaxPathLength = 2048;

    private static readonly StringValues AllowedMethods = "GET, HEAD, OPTIONS";
    private static readonly StringValues ExposedHeaders = "Location, Content-Length";
    private static readonly StringValues PreflightMaxAge = "86400";

    /// <summary>Adds CORS headers; answers a preflight and returns true when the request was one.</summary>
    public static bool Cors(HttpContext context, string allowOrigin)
    {
        var headers = context.Response.Headers;
        if (allowOrigin.Length > 0)
        {
            headers.AccessControlAllowOrigin = allowOrigin;
            headers.AccessControlExposeHeaders = ExposedHeaders;
        }

        if (!HttpMethods.IsOptions(context.Request.Method))
        {
            return false;
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
        headers.Allow = AllowedMethods;
        if (allowOrigin.Length > 0)
        {
            headers.AccessControlAllowMethods = AllowedMethods;
            var requested = context.Request.Headers.AccessControlRequestHeaders;
            if (!StringValues.IsNullOrEmpty(requested))
            {
                headers.AccessControlAllowHeaders = requested;
            }

            headers.AccessControlMaxAge = PreflightMaxAge;
        }

        return true;
    }

    /// <summary>Checks a player's object path; returns the status to answer with, or 0 if it is acceptable.</summary>
    public static int CheckPath(string path)
    {
        if (path.Length > MaxPathLength)
        {
            return StatusCodes.Status414UriTooLong;
        }

        if (path.Length < 2 || path[0] != '/' || path.Contains('\\', StringComparison.Ordinal) || path.Any(char.IsControl)
            || path.Contains("/..", StringComparison.Ordinal)
            || path.Contains("/./", StringComparison.Ordinal) || path.Contains("//", StringComparison.Ordinal))
        {
            return StatusCodes.Status400BadRequest;
        }

        return 0;
    }

    public static Task TextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync(text, context.RequestAborted);
    }

    public static bool WantsJson(HttpRequest request) =>
        request.Query["format"] == "json"
        || request.Headers.Accept.Any(a => a is not null && a.Contains("application/json", StringComparison.OrdinalIgnoreCase));
}
