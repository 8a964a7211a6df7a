using System.Text.Json;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.EdgeServer.Filling;

/// <summary>
/// The operator's cache controls: proactive fill (<c>/admin/fills</c>), pins (<c>/admin/pins</c>) and purge
/// (<c>DELETE /admin/cache?path=</c> or <c>?prefix=</c>).
/// </summary>
internal static class AdminEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        var fills = ((IEndpointRouteBuilder)admin).ServiceProvider.GetRequiredService<FillService>();
        var cache = ((IEndpointRouteBuilder)admin).ServiceProvider.GetRequiredService<DiskCache>();

        admin.Map("/fills/{id?}", async context =>
        {
            NoStore(context);
            var id = context.GetRouteValue("id") as string;
            var method = context.Request.Method;
            if (string.IsNullOrEmpty(id))
            {
                switch (method)
                {
                    case "GET" or "HEAD":
                        await JsonAsync(context, 200, fills.Jobs.ToList(), FillJsonContext.Default.ListFillJob);
                        return;
                    case "POST":
                        await StartAsync(context, fills);
                        return;
                    default:
                        await NotAllowedAsync(context, "GET, HEAD, POST");
                        return;
                }
            }

            var job = fills.Find(id);
            if (job is null)
            {
                await EdgeRequestHandler.WriteTextAsync(context, 404, $"no fill job '{id}'\n");
                return;
            }

            switch (method)
            {
                case "GET" or "HEAD":
                    await JsonAsync(context, 200, job, FillJsonContext.Default.FillJob);
                    return;
                case "DELETE":
                    if (!fills.Cancel(id))
                    {
                        await EdgeRequestHandler.WriteTextAsync(context, 409, $"fill job '{id}' has already {job.State}\n");
                        return;
                    }

                    await JsonAsync(context, 200, job, FillJsonContext.Default.FillJob);
                    return;
                default:
                    await NotAllowedAsync(context, "GET, HEAD, DELETE");
                    return;
            }
        });

        admin.Map("/pins", async context =>
        {
            NoStore(context);
            switch (context.Request.Method)
            {
                case "GET" or "HEAD":
                    await JsonAsync(context, 200, cache.Pins.ToArray(), FillJsonContext.Default.StringArray);
                    return;
                case "DELETE":
                    var prefix = context.Request.Query["prefix"].ToString();
                    if (prefix.Length == 0)
                    {
                        await EdgeRequestHandler.WriteTextAsync(context, 400, "DELETE /admin/pins needs ?prefix=/title/\n");
                        return;
                    }

                    await EdgeRequestHandler.WriteTextAsync(context, cache.Unpin(prefix) ? 200 : 404, cache.IsPinned(prefix) ? "still pinned\n" : $"unpinned {prefix}\n");
                    return;
                default:
                    await NotAllowedAsync(context, "GET, HEAD, DELETE");
                    return;
            }
        });

        admin.Map("/cache", async context =>
        {
            NoStore(context);
            if (context.Request.Method != "DELETE")
            {
                await NotAllowedAsync(context, "DELETE");
                return;
            }

            var path = context.Request.Query["path"].ToString();
            var prefix = context.Request.Query["prefix"].ToString();
            if ((path.Length == 0) == (prefix.Length == 0) || !(path + prefix).StartsWith('/'))
            {
                await EdgeRequestHandler.WriteTextAsync(context, 400, "purge needs exactly one of ?path=/title/seg.m4s or ?prefix=/title/\n");
                return;
            }

            PurgeResult result;
            if (path.Length > 0)
            {
                var hash = CacheKey.Hash(path);
                var size = cache.TryGetSize(hash, path, out var bytes) ? bytes : 0;
                result = cache.Remove(hash) ? new PurgeResult(1, size) : new PurgeResult(0, 0);
            }
            else
            {
                var (objects, bytes) = cache.Purge(prefix);
                result = new PurgeResult(objects, bytes);
            }

            await JsonAsync(context, 200, result, FillJsonContext.Default.PurgeResult);
        });

        // Anything else under /admin is an operator's typo: refused like the rest without a token, then 404.
        admin.Map("/{**rest}", context =>
        {
            NoStore(context);
            return EdgeRequestHandler.WriteTextAsync(context, 404, "no such operator endpoint\n");
        });
    }

    private static async Task StartAsync(HttpContext context, FillService fills)
    {
        FillRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, FillJsonContext.Default.FillRequest, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            await EdgeRequestHandler.WriteTextAsync(context, 400, $"body must be JSON like {{\"manifest\":\"/title/master.m3u8\"}}: {ex.Message}\n");
            return;
        }

        var manifest = request?.Manifest;
        if (manifest is not null && Uri.TryCreate(manifest, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
        {
            manifest = Uri.UnescapeDataString(url.AbsolutePath);
        }

        if (manifest is null || RequestPath.Check(manifest, manifest, 1024) != PathCheck.Ok || !ManifestReader.IsManifest(manifest))
        {
            await EdgeRequestHandler.WriteTextAsync(context, 400, "'manifest' must be the path (or URL) of a title's .m3u8 or .mpd at the fill source\n");
            return;
        }

        var job = fills.Enqueue(manifest);
        context.Response.Headers.Location = "/admin/fills/" + job.Id;
        await JsonAsync(context, 202, job, FillJsonContext.Default.FillJob);
    }

    private static Task JsonAsync<T>(HttpContext context, int status, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted);
    }

    private static Task NotAllowedAsync(HttpContext context, string allow)
    {
        context.Response.Headers.Allow = allow;
        return EdgeRequestHandler.WriteTextAsync(context, 405, "method not allowed\n");
    }

    private static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";
}
