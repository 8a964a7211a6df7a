using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edge.Testing;

/// <summary>One object an <see cref="OriginServer"/> serves, and how it misbehaves.</summary>
public sealed class OriginObject
{
    public required byte[] Body { get; init; }

    public string ContentType { get; init; } = "application/octet-stream";

    public string? CacheControl { get; init; } = "public, max-age=3600";

    public string? ETag { get; init; }

    public DateTimeOffset LastModified { get; init; } = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public int StatusCode { get; init; } = 200;

    /// <summary>Send the body without Content-Length (chunked).</summary>
    public bool Chunked { get; init; }

    /// <summary>After this many body bytes, wait for <see cref="Release"/> before sending the rest.</summary>
    public int? HoldAfter { get; init; }

    /// <summary>Completed by the test to let a held body continue.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed by the origin once it holds: before headers (<see cref="HoldHeaders"/>) or after <see cref="HoldAfter"/> bytes.</summary>
    public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>After <see cref="HoldAfter"/> bytes and the release, abort the connection instead of finishing.</summary>
    public bool AbortAfterHold { get; init; }

    /// <summary>Wait for <see cref="Release"/> before sending headers at all.</summary>
    public bool HoldHeaders { get; init; }

    /// <summary>An <c>Expires</c> header, sent as given.</summary>
    public string? Expires { get; init; }

    /// <summary>An <c>Age</c> header in seconds.</summary>
    public int? Age { get; init; }

    public string? Vary { get; init; }

    /// <summary>Whether conditional requests get 304 when the validators match (true: as static file servers do).</summary>
    public bool AnswersConditionals { get; init; } = true;
}

/// <summary>A real HTTP origin on loopback whose objects, counts and faults a test controls.</summary>
public sealed class OriginServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, OriginObject> _objects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private int _inFlight;
    private int _maxConcurrent;

    private OriginServer(WebApplication app) => _app = app;

    private readonly ConcurrentDictionary<string, int> _notModified = new();
    private readonly List<string> _log = [];
    private readonly List<string> _targets = [];

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _headerNames = new(StringComparer.OrdinalIgnoreCase);

    public string Url { get; private set; } = "";

    public static async Task<OriginServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var origin = new OriginServer(app);
        app.Run(origin.ServeAsync);
        await app.StartAsync();
        origin.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return origin;
    }

    public void Add(string path, OriginObject value) => _objects[path] = value;

    public OriginObject Add(string path, byte[] body, string contentType = "application/octet-stream")
    {
        var value = new OriginObject { Body = body, ContentType = contentType };
        _objects[path] = value;
        return value;
    }

    /// <summary>Adds every file under <paramref name="directory"/> at <paramref name="prefix"/>/relative path.</summary>
    public void AddDirectory(string prefix, string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(directory, file).Replace('\\', '/');
            var type = Path.GetExtension(file) switch
            {
                ".m3u8" => "application/vnd.apple.mpegurl",
                ".mpd" => "application/dash+xml",
                ".mp4" => "video/mp4",
                _ => "video/iso.segment",
            };
            Add($"{prefix}/{relative}", File.ReadAllBytes(file), type);
        }
    }

    public int RequestCount(string path) => _requests.GetValueOrDefault(path);

    /// <summary>Requests answered 304 Not Modified.</summary>
    public int NotModifiedCount(string path) => _notModified.GetValueOrDefault(path);

    /// <summary>When set, every request is answered with this status (e.g. 503: the origin is down).</summary>
    public int? FailWith { get; set; }

    /// <summary>When set, requests with unsafe methods wait for it before answering.</summary>
    public TaskCompletionSource? HoldUnsafe { get; set; }

    /// <summary>A <c>Content-Location</c> sent with the answers to unsafe methods.</summary>
    public string? UnsafeContentLocation { get; set; }

    /// <summary>Methods and paths of every request, in order.</summary>
    public IReadOnlyList<string> Log
    {
        get
        {
            lock (_log)
            {
                return [.. _log];
            }
        }
    }

    public int TotalRequests => _requests.Values.Sum();

    /// <summary>Every request's path and query as it arrived, in order.</summary>
    public IReadOnlyList<string> Targets
    {
        get
        {
            lock (_log)
            {
                return [.. _targets];
            }
        }
    }

    /// <summary>Whether any request so far carried a header field named <paramref name="name"/>.</summary>
    public bool SawHeader(string name) => _headerNames.ContainsKey(name);

    /// <summary>Most requests the origin was answering at the same time.</summary>
    public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

    public async ValueTask DisposeAsync()
    {
        foreach (var value in _objects.Values)
        {
            value.Release.TrySetResult();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ServeAsync(HttpContext context)
    {
        var now = Interlocked.Increment(ref _inFlight);
        for (var peak = _maxConcurrent; now > peak; peak = _maxConcurrent)
        {
            Interlocked.CompareExchange(ref _maxConcurrent, now, peak);
        }

        try
        {
            await ServeOneAsync(context);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task ServeOneAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        _requests.AddOrUpdate(path, 1, (_, n) => n + 1);
        foreach (var name in context.Request.Headers.Keys)
        {
            _headerNames.TryAdd(name, 0);
        }

        lock (_log)
        {
            _log.Add($"{context.Request.Method} {path}");
            _targets.Add(path + context.Request.QueryString.Value);
        }

        if (FailWith is { } failure)
        {
            context.Response.StatusCode = failure;
            await context.Response.WriteAsync("origin failing\n");
            return;
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            using var reader = new StreamReader(context.Request.Body);
            var sent = await reader.ReadToEndAsync();
            if (HoldUnsafe is { } unsafeHold)
            {
                await unsafeHold.Task;
            }

            if (UnsafeContentLocation is { } location)
            {
                context.Response.Headers.ContentLocation = location;
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync($"{context.Request.Method} {path} {sent}");
            return;
        }

        if (!_objects.TryGetValue(path, out var value))
        {
            context.Response.StatusCode = 404;
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("no such object\n");
            return;
        }

        if (value.HoldHeaders)
        {
            value.Held.TrySetResult();
            await value.Release.Task;
        }

        var response = context.Response;
        if (value.CacheControl is not null)
        {
            response.Headers.CacheControl = value.CacheControl;
        }

        if (value.ETag is not null)
        {
            response.Headers.ETag = value.ETag;
        }

        if (value.Expires is not null)
        {
            response.Headers.Expires = value.Expires;
        }

        if (value.Age is { } age)
        {
            response.Headers.Age = age.ToString(CultureInfo.InvariantCulture);
        }

        if (value.Vary is not null)
        {
            response.Headers.Vary = value.Vary;
        }

        var request = context.Request.Headers;
        var etagMatches = value.ETag is not null && request.IfNoneMatch.Any(v => v == value.ETag);
        var notModifiedSince = request.IfNoneMatch.Count == 0
            && DateTimeOffset.TryParse(request.IfModifiedSince, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since)
            && value.LastModified <= since;
        if (value.AnswersConditionals && value.StatusCode == 200 && (etagMatches || notModifiedSince))
        {
            _notModified.AddOrUpdate(path, 1, (_, n) => n + 1);
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.StatusCode = value.StatusCode;
        response.ContentType = value.ContentType;

        response.Headers.LastModified = value.LastModified.ToString("R", CultureInfo.InvariantCulture);
        if (!value.Chunked)
        {
            response.ContentLength = value.Body.Length;
        }

        var body = value.Body.AsMemory();
        if (value.HoldAfter is { } hold)
        {
            await response.Body.WriteAsync(body[..hold]);
            await response.Body.FlushAsync();
            value.Held.TrySetResult();
            await value.Release.Task;
            if (value.AbortAfterHold)
            {
                context.Abort();
                return;
            }

            body = body[hold..];
        }

        await response.Body.WriteAsync(body);
    }
}
