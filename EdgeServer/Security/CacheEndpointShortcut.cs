using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Edge.EdgeServer.Security;

/// <summary>
/// Sends a request straight to the cache endpoint when routing could only choose it: its path's first segment is not
/// the first segment of any other endpoint (<c>/admin</c>, <c>/healthz</c>, <c>/metrics</c>...), compared as routing
/// compares (decoded, ignoring case). Routing would pick the same endpoint, but allocates its route values on every
/// hit. Anything else, and every request once an endpoint with a parameter first segment exists, goes through
/// routing and the authorization policy as before.
/// </summary>
internal sealed class CacheEndpointShortcut(EndpointDataSource endpoints, RequestDelegate cache)
{
    private HashSet<string>.AlternateLookup<ReadOnlySpan<char>>? _routed;
    private bool _disabled;

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value.AsSpan();
        if (_disabled || path.Length < 2 || path[0] != '/')
        {
            return next(context);
        }

        var rest = path[1..];
        var slash = rest.IndexOf('/');
        var first = slash < 0 ? rest : rest[..slash];
        var routed = _routed ??= Build();
        if (_disabled || first.IsEmpty || routed.Contains(first))
        {
            return next(context);
        }

        return cache(context);
    }

    private HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Build()
    {
        var firsts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<CacheEndpoint>() is not null)
            {
                continue;
            }

            var segments = endpoint.RoutePattern.PathSegments;
            if (segments.Count == 0 || segments[0].Parts.Count != 1 || segments[0].Parts[0] is not RoutePatternLiteralPart literal)
            {
                // An endpoint that could take any first segment: only routing can tell.
                _disabled = true;
                continue;
            }

            firsts.Add(literal.Content);
        }

        return firsts.GetAlternateLookup<ReadOnlySpan<char>>();
    }
}
