using System.Diagnostics;
using System.Net;
using System.Security.Authentication;
using System.Text.Json;

namespace Edge.Contracts.AccessLogging;

/// <summary>
/// What one request's log line says, gathered by reference on the request's thread and formatted by the log's writer,
/// so a request pays for a few field stores. Records are pooled: a handler fills one through
/// <c>HttpContext.Features.Get&lt;AccessRecord&gt;()</c> and never keeps it.
/// </summary>
public sealed class AccessRecord
{
    /// <summary>Writes fields of a deployable's own into the line's <c>edge</c> object.</summary>
    public delegate void ExtraWriter(Utf8JsonWriter writer, object state);

    internal long Started;
    internal IPAddress? Client;
    internal string Method = "";
    internal string? Path;
    internal string? Query;
    internal string? Protocol;
    internal int Status;
    internal long Finished;
    internal SslProtocols Tls;
    internal string? UserAgent;
    internal string? ConnectionId;
    internal long Sequence;
    internal string? CacheStatus;
    internal long CountedBytes;

    /// <summary>Body bytes sent, when the handler knows them; -1 lets the log count or take Content-Length.</summary>
    public long Bytes { get; set; } = -1;

    /// <summary>The cache's verdict in a word (hit, miss, stale...), or null.</summary>
    public string? Cache { get; set; }

    /// <summary><see cref="Stopwatch.GetTimestamp"/> when the response's head was ready to send; 0 when unknown.</summary>
    public long FirstByte { get; set; }

    /// <summary>The status the upstream (origin or parent) answered this request's fill with; 0 when none was asked.</summary>
    public int UpstreamStatus { get; set; }

    /// <summary>How long the upstream took to answer with its head.</summary>
    public TimeSpan UpstreamDuration { get; set; }

    internal ExtraWriter? Extra;
    internal object? ExtraState;

    /// <summary>Adds fields of the deployable's own (written on the log's thread; <paramref name="state"/> must not change after).</summary>
    public void SetExtra(ExtraWriter writer, object state)
    {
        Extra = writer;
        ExtraState = state;
    }

    internal void Reset()
    {
        Client = null;
        Path = Query = Protocol = UserAgent = ConnectionId = CacheStatus = Cache = null;
        Method = "";
        Status = 0;
        Bytes = -1;
        CountedBytes = 0;
        FirstByte = 0;
        UpstreamStatus = 0;
        UpstreamDuration = default;
        Tls = SslProtocols.None;
        Extra = null;
        ExtraState = null;
    }
}
