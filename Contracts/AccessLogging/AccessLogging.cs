using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.Contracts.AccessLogging;

/// <summary>Registration of the access log and the middleware that gives every request its line.</summary>
public static class AccessLogging
{
    /// <summary>Adds the access log of deployable <paramref name="service"/> on node <paramref name="node"/> (read once it starts).</summary>
    public static IServiceCollection AddAccessLog(this IServiceCollection services, string service, Func<IServiceProvider, string?> node)
    {
        services.AddOptions<AccessLogOptions>().BindConfiguration(AccessLogOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AccessLogOptions>, AccessLogOptionsValidator>());
        services.TryAddSingleton(sp => new AccessLog(
            sp.GetRequiredService<IOptions<AccessLogOptions>>().Value,
            service,
            node(sp),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<ILogger<AccessLog>>()));
        services.AddHostedService(sp => sp.GetRequiredService<AccessLog>());
        return services;
    }

    /// <summary>
    /// Gives each request an <see cref="AccessRecord"/> and submits it when the request ends. Put it first, so the
    /// duration covers the whole pipeline. With <paramref name="countBodies"/>, bodies are counted as they are written
    /// (for endpoints whose handlers do not report <see cref="AccessRecord.Bytes"/>); otherwise Content-Length is taken.
    /// </summary>
    public static IApplicationBuilder UseAccessLog(this IApplicationBuilder app, bool countBodies)
    {
        var log = app.ApplicationServices.GetRequiredService<AccessLog>();
        if (!log.Enabled)
        {
            return app;
        }

        return app.Use(next => context => InvokeAsync(log, next, context, countBodies));
    }

    /// <summary>Counts the bytes of bodies written by the rest of the pipeline into the request's record.</summary>
    public static IApplicationBuilder UseAccessLogBodyCounting(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            if (context.Features.Get<AccessRecord>() is { } record)
            {
                context.Response.Body = new CountingStream(context.Response.Body, record);
            }

            return next(context);
        });

    private static Task InvokeAsync(AccessLog log, RequestDelegate next, HttpContext context, bool countBodies)
    {
        var record = log.Start();
        context.Features.Set(record);
        if (countBodies)
        {
            context.Response.Body = new CountingStream(context.Response.Body, record);
        }

        Task task;
        try
        {
            task = next(context);
        }
        catch
        {
            Finish(log, context, record, failed: true);
            throw;
        }

        if (task.IsCompletedSuccessfully)
        {
            Finish(log, context, record, failed: false);
            return Task.CompletedTask;
        }

        return AwaitAsync(log, task, context, record);
    }

    private static async Task AwaitAsync(AccessLog log, Task task, HttpContext context, AccessRecord record)
    {
        var failed = true;
        try
        {
            await task;
            failed = false;
        }
        finally
        {
            Finish(log, context, record, failed);
        }
    }

    private static void Finish(AccessLog log, HttpContext context, AccessRecord record, bool failed)
    {
        var request = context.Request;
        var response = context.Response;
        context.Features.Set<AccessRecord>(null);
        record.Client = context.Connection.RemoteIpAddress;
        record.Method = request.Method;
        record.Path = request.Path.Value;
        record.Query = request.QueryString.Value;
        record.Protocol = request.Protocol;

        // An exception that escaped the pipeline became a 500, or an aborted connection, after this point.
        record.Status = failed && !response.HasStarted ? StatusCodes.Status500InternalServerError : response.StatusCode;
        record.Tls = context.Features.Get<ITlsHandshakeFeature>()?.Protocol ?? default;
        var userAgent = request.Headers.UserAgent;
        record.UserAgent = userAgent.Count == 0 ? null : userAgent.ToString();
        // Kestrel's request id would be a new string per request; the connection's id is kept per connection.
        record.ConnectionId = context.Connection.Id;
        var cacheStatus = response.Headers["Cache-Status"];
        record.CacheStatus = cacheStatus.Count == 0 ? null : cacheStatus.ToString();
        if (record.Bytes < 0 && record.CountedBytes == 0)
        {
            record.Bytes = HttpMethods.IsHead(request.Method) ? 0 : response.ContentLength ?? 0;
        }

        log.Submit(record);
    }

    /// <summary>A response body that counts what passes through it.</summary>
    private sealed class CountingStream(Stream inner, AccessRecord record) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            record.CountedBytes += count;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            record.CountedBytes += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
