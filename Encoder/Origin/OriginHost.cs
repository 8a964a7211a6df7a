using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Edge.Encoder.Live;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace Edge.Encoder.Origin;

/// <summary>
/// Serves a published content directory as the CDN's origin: strong validators, ranges, the
/// video media types, and long cache lifetimes for segments (titles are published once, atomically).
/// </summary>
public static class OriginHost
{
    /// <summary>Cache lifetime the origin gives segments; titles never change in place.</summary>
    public const string SegmentCacheControl = "public, max-age=31536000, immutable";

    /// <summary>Cache lifetime the origin gives manifests.</summary>
    public const string ManifestCacheControl = "public, max-age=60";

    public static WebApplication Build(string contentDirectory, string[] args) => Build(contentDirectory, args, null);

    /// <param name="live">Live titles served before the content directory, by their first path segment.</param>
    internal static WebApplication Build(string contentDirectory, string[] args, LiveRegistry? live, TimeProvider? time = null)
    {
        var root = Path.GetFullPath(contentDirectory);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"content directory '{root}' does not exist");
        }

        var builder = WebApplication.CreateSlimBuilder(args);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

        // A live origin answers several requests a second per viewer: a line for each would drown what matters.
        // Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Information turns them back on.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var app = builder.Build();

        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".m3u8"] = "application/vnd.apple.mpegurl";
        types.Mappings[".mpd"] = "application/dash+xml";
        types.Mappings[".m4s"] = "video/iso.segment";
        types.Mappings[".cmfv"] = "video/mp4";
        types.Mappings[".cmfa"] = "audio/mp4";
        types.Mappings[".vtt"] = "text/vtt";

        // Dot-folders hold titles still being written (and old ones being replaced): never serve them.
        app.Use((context, next) =>
        {
            if (context.Request.Path.Value is { } path && path.Contains("/.", StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
        if (live is not null)
        {
            var origin = new LiveOrigin(live, time ?? TimeProvider.System);
            app.Use(async (context, next) =>
            {
                if (!await origin.TryHandleAsync(context))
                {
                    await next(context);
                }
            });
        }

        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(root),
            ContentTypeProvider = types,
            ServeUnknownFileTypes = false,
            OnPrepareResponse = context =>
            {
                var name = context.File.Name;
                context.Context.Response.Headers.CacheControl =
                    name.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".mpd", StringComparison.OrdinalIgnoreCase)
                        ? ManifestCacheControl
                        : SegmentCacheControl;
                context.Context.Response.Headers.AccessControlAllowOrigin = "*";
            },
        });
        app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return context.Response.WriteAsync("not found\n");
        });
        return app;
    }
}
