using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Testing;

/// <summary>Every endpoint an app maps, and the spellings a client may use to reach each one.</summary>
public static class EndpointVariants
{
    /// <summary>Each mapped route endpoint: its pattern and whether it is marked anonymous.</summary>
    public static IReadOnlyList<(string Pattern, bool Anonymous, RouteEndpoint Endpoint)> All(WebApplication app) =>
        [.. app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (e.RoutePattern.RawText ?? "", e.Metadata.GetMetadata<IAllowAnonymous>() is not null, e))];

    /// <summary>A concrete path for a route pattern: each parameter becomes <c>x</c>.</summary>
    public static string Concrete(RoutePattern pattern)
    {
        var segments = pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            _ => "x",
        })));
        return "/" + string.Join('/', segments);
    }

    /// <summary>The path as given, upper-cased, with one letter upper-cased, percent-encoded, and with a trailing slash.</summary>
    public static IEnumerable<string> Spellings(string path)
    {
        yield return path;
        yield return path.ToUpperInvariant();
        var letter = path.IndexOfAny([.. "abcdefghijklmnopqrstuvwxyz"]);
        if (letter >= 0)
        {
            yield return path[..letter] + char.ToUpperInvariant(path[letter]) + path[(letter + 1)..];
            yield return path[..letter] + "%" + ((int)path[letter]).ToString("X2", System.Globalization.CultureInfo.InvariantCulture) + path[(letter + 1)..];
        }

        yield return path + "/";
    }
}
