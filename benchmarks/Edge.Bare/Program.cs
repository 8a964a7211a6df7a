using System.Collections.Frozen;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

// Kestrel with nothing of the edge: every file under --root held in memory and written whole, with its length and
// type. It is the floor for what any Kestrel application can do with the same bytes on the same machine.
var root = args.SkipWhile(a => a != "--root").Skip(1).FirstOrDefault()
    ?? throw new ArgumentException("usage: bare-kestrel --root DIR [--urls URL] [Kestrel settings]");
var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToFrozenDictionary(
    path => "/" + Path.GetRelativePath(root, path).Replace('\\', '/'),
    path => File.ReadAllBytes(path),
    StringComparer.Ordinal);

// --Head=edge: every response also carries the fields an edge hit carries (validators, freshness, Age, CORS, Via,
// Cache-Status, the origin's Server), as constants. Measured against the edge, it leaves the edge's own work per
// request, apart from what writing the head of a cache's response costs Kestrel.
var builder = WebApplication.CreateSlimBuilder(args);
var edgeHead = string.Equals(builder.Configuration["Head"], "edge", StringComparison.OrdinalIgnoreCase);
builder.WebHost.UseKestrelHttpsConfiguration();
// The edge's transport settings under the same names (Transport:*), so both run with the same socket setup.
var transport = builder.Configuration.GetSection("Transport");
builder.WebHost.UseSockets(sockets =>
{
    sockets.UnsafePreferInlineScheduling = transport.GetValue("InlineScheduling", false);
    sockets.WaitForDataBeforeAllocatingBuffer = transport.GetValue("WaitForDataBeforeAllocatingBuffer", true);
    if (transport.GetValue("IOQueueCount", 0) is > 0 and var queues)
    {
        sockets.IOQueueCount = queues;
    }
});
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Limits.MaxResponseBufferSize = transport.GetValue("MaxResponseBufferBytes", 64L * 1024);
});
builder.Logging.ClearProviders();
var app = builder.Build();
app.Run(context =>
{
    if (!files.TryGetValue(context.Request.Path.Value ?? "/", out var body))
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    context.Response.ContentLength = body.Length;
    if (edgeHead)
    {
        var headers = context.Response.Headers;
        headers.Server = "nginx/1.22.1";
        headers.AcceptRanges = "bytes";
        headers.AccessControlAllowOrigin = "*";
        headers.AccessControlExposeHeaders = "Cache-Status, Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, Age";
        headers.Age = "64";
        headers.CacheControl = "max-age=3600";
        headers.ETag = "\"6b1551da-800\"";
        headers.Expires = "Sun, 06 Dec 2026 16:12:02 GMT";
        headers.LastModified = "Sun, 06 Dec 2026 12:15:22 GMT";
        headers.Via = "1.1 edge-1";
        headers["Cache-Status"] = "edge-1; hit; detail=memory";
    }

    context.Response.ContentType = context.Request.Path.Value!.EndsWith(".m3u8", StringComparison.Ordinal)
        ? "application/vnd.apple.mpegurl"
        : "video/iso.segment";
    return WriteAsync(context.Response.BodyWriter, body);
});
app.Run();

// 64 KiB at a time, waiting for the socket between writes, as the edge writes: one write of a whole 2 MB body
// costs Kestrel more (its output buffers grow to the body's size for every response).
static async Task WriteAsync(System.IO.Pipelines.PipeWriter writer, byte[] body)
{
    for (var sent = 0; sent < body.Length; sent += 64 * 1024)
    {
        var result = await writer.WriteAsync(body.AsMemory(sent, Math.Min(64 * 1024, body.Length - sent)));
        if (result.IsCompleted)
        {
            return;
        }
    }
}
