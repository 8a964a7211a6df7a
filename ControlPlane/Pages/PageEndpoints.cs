using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;

namespace Edge.ControlPlane.Pages;

/// <summary>
/// The player page (<c>/player</c>) and the operator page (<c>/operator</c>), with their scripts and the
/// vendored players under <c>/ui/</c>. The pages hold no data: they read the same APIs an operator's scripts do.
/// </summary>
internal static class PageEndpoints
{
    public const string AssetPrefix = "/ui";

    // Everything the pages run comes from this replica; media and APIs may be on any edge.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
        "connect-src 'self' http: https:; media-src 'self' blob: http: https:; worker-src 'self' blob:; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    /// <summary>The pages' scripts, styles and vendored players under <c>/ui/</c>: public files, served before routing.</summary>
    public static void UseAssets(WebApplication app)
    {
        var files = Files();
        app.UseWhen(context => context.Request.Path.StartsWithSegments(AssetPrefix, StringComparison.Ordinal), branch => branch.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = AssetPrefix,
            OnPrepareResponse = file => Secure(file.Context.Response),
        }));
    }

    /// <summary>The pages themselves hold no data, so anyone may load them; the APIs they call decide.</summary>
    public static void Map(WebApplication app)
    {
        var files = Files();
        app.MapGet("/", () => Results.Redirect("/operator")).AllowAnonymous();
        MapPage(app, "/player", files.GetFileInfo("player.html"));
        MapPage(app, "/operator", files.GetFileInfo("operator.html"));
    }

    private static PhysicalFileProvider Files()
    {
        var root = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (!Directory.Exists(root))
        {
            throw new InvalidOperationException($"The control plane's pages are missing: no folder {root}");
        }

        return new PhysicalFileProvider(root);
    }

    private static void MapPage(WebApplication app, string path, IFileInfo page)
    {
        if (!page.Exists)
        {
            throw new InvalidOperationException($"The control plane's page {page.Name} is missing from wwwroot");
        }

        app.MapMethods(path, ["GET", "HEAD"], async (HttpContext context) =>
        {
            Secure(context.Response);
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.ContentLength = page.Length;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await context.Response.SendFileAsync(page, context.RequestAborted);
            }
        }).AllowAnonymous();
    }

    // Revalidated on every load (the static files carry validators), so a new build's pages are seen at once.
    private static void Secure(HttpResponse response)
    {
        var headers = response.Headers;
        headers.CacheControl = "no-cache";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
    }
}
