using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Authentication;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Edge.Contracts.AccessLogging;

/// <summary>
/// The access log: requests hand in their <see cref="AccessRecord"/>, and one writer task formats them as JSON lines
/// and writes them in batches to standard output or a rotated file. A request never waits for the log and never
/// wakes its writer: the writer drains the queue every <see cref="FlushInterval"/>, or at once while there is more
/// than a batch. When the queue is full the line is dropped and counted, and a failing disk costs lines, never
/// requests.
/// </summary>
public sealed partial class AccessLog : IHostedService, IAsyncDisposable
{
    private const int BatchBytes = 64 * 1024;

    /// <summary>How long a line may wait in the queue when there are few: the log's delay behind the requests.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(50);

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    private readonly AccessLogOptions _options;
    private readonly string _service;
    private readonly string _dataset;
    private readonly string? _node;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<AccessRecord> _queue = new();
    private readonly ManualResetEventSlim _stopping = new();
    private readonly ConcurrentQueue<AccessRecord> _pool = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(BatchBytes * 2);
    private readonly Utf8JsonWriter _json;
    private Stream? _stream;
    private long _fileBytes;
    private Thread? _writer;
    private int _queued;
    private long _dropped;
    private long _sequence;
    private long _written;
    private long _failed;
    private DateTimeOffset _clockUtc;
    private long _clockTimestamp;

    public AccessLog(AccessLogOptions options, string service, string? node, TimeProvider time, ILogger<AccessLog> logger)
    {
        _options = options;
        _service = service;
        _dataset = service + ".access";
        _node = node;
        _time = time;
        _logger = logger;
        _json = new Utf8JsonWriter(_buffer, WriterOptions);
        Rebase();
    }

    public bool Enabled => _options.Enabled;

    /// <summary>Lines dropped because the writer could not keep up or could not write.</summary>
    public long Dropped => Interlocked.Read(ref _dropped) + Interlocked.Read(ref _failed);

    /// <summary>Lines written.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>A cleared record for a request that starts now.</summary>
    public AccessRecord Start()
    {
        if (!_pool.TryDequeue(out var record))
        {
            record = new AccessRecord();
        }

        record.Started = Stopwatch.GetTimestamp();
        return record;
    }

    /// <summary>Queues <paramref name="record"/>'s line; the record belongs to the log from here on.</summary>
    public void Submit(AccessRecord record)
    {
        record.Finished = Stopwatch.GetTimestamp();
        record.Sequence = Interlocked.Increment(ref _sequence);
        if (Interlocked.Increment(ref _queued) > _options.QueueLength)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            Return(record);
            return;
        }

        _queue.Enqueue(record);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Enabled && _writer is null)
        {
            // A thread of its own: it sleeps between batches instead of being woken by every request.
            _writer = new Thread(WriteLoop) { IsBackground = true, Name = "access log" };
            _writer.Start();
        }

        return Task.CompletedTask;
    }

    /// <summary>Writes what is queued (bounded by <paramref name="cancellationToken"/>) and closes the file.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Set();
        var writer = _writer;
        if (writer is not null)
        {
            return Task.Run(() => writer.Join(TimeSpan.FromSeconds(10)), cancellationToken);
        }

        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        CloseFile();
    }

    private void WriteLoop()
    {
        try
        {
            while (true)
            {
                var lines = 0;
                while (_buffer.WrittenCount < BatchBytes && _queue.TryDequeue(out var record))
                {
                    Interlocked.Decrement(ref _queued);
                    Format(record);
                    Return(record);
                    lines++;
                }

                Flush(lines);
                if (lines == 0)
                {
                    if (_stopping.IsSet)
                    {
                        break;
                    }

                    _stopping.Wait(FlushInterval);
                }
            }
        }
        catch (Exception ex)
        {
            // The log must never end the process; say so once.
            LogWriterFailed(_logger, ex);
        }
        finally
        {
            CloseFile();
        }
    }

    private void Flush(int lines)
    {
        if (_buffer.WrittenCount == 0)
        {
            return;
        }

        try
        {
            var stream = _stream ??= Open();
            stream.Write(_buffer.WrittenSpan);
            stream.Flush();
            _fileBytes += _buffer.WrittenCount;
            Interlocked.Add(ref _written, lines);
            if (_options.Path.Length > 0 && _options.MaxFileBytes > 0 && _fileBytes >= _options.MaxFileBytes)
            {
                Rotate();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A full or failing disk: these lines are lost, the file is opened again for the next batch.
            Interlocked.Add(ref _failed, lines);
            LogWriteFailed(_logger, _options.Path, ex.Message);
            CloseFile();
        }
        finally
        {
            _buffer.ResetWrittenCount();
        }
    }

    private Stream Open()
    {
        if (_options.Path.Length == 0)
        {
            _fileBytes = 0;
            return Console.OpenStandardOutput();
        }

        var file = new FileStream(_options.Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        _fileBytes = file.Length;
        return file;
    }

    private void Rotate()
    {
        CloseFile();
        var path = _options.Path;
        File.Delete($"{path}.{_options.MaxFiles}");
        for (var n = _options.MaxFiles - 1; n >= 1; n--)
        {
            if (File.Exists($"{path}.{n}"))
            {
                File.Move($"{path}.{n}", $"{path}.{n + 1}", overwrite: true);
            }
        }

        File.Move(path, path + ".1", overwrite: true);
    }

    private void CloseFile()
    {
        var stream = _stream;
        _stream = null;
        if (stream is not null && _options.Path.Length > 0)
        {
            stream.Dispose();
        }
    }

    private void Return(AccessRecord record)
    {
        record.Reset();
        if (_pool.Count < 4096)
        {
            _pool.Enqueue(record);
        }
    }

    /// <summary>Wall-clock time of a timestamp; re-read every minute so a corrected system clock is followed.</summary>
    private DateTimeOffset WallClock(long timestamp)
    {
        if (Stopwatch.GetElapsedTime(_clockTimestamp, timestamp) > TimeSpan.FromMinutes(1))
        {
            Rebase();
        }

        return _clockUtc + Stopwatch.GetElapsedTime(_clockTimestamp, timestamp);
    }

    private void Rebase()
    {
        _clockTimestamp = Stopwatch.GetTimestamp();
        _clockUtc = _time.GetUtcNow();
    }

    private static long Nanoseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).Ticks * 100;

    /// <summary>One line in Elastic Common Schema field names, which Filebeat, Vector, Fluent Bit and Logstash map as they are.</summary>
    private void Format(AccessRecord r)
    {
        var json = _json;
        json.Reset(_buffer);
        json.WriteStartObject();
        json.WriteString("@timestamp"u8, WallClock(r.Started).UtcDateTime);

        json.WriteStartObject("event"u8);
        json.WriteString("dataset"u8, _dataset);
        json.WriteNumber("duration"u8, Nanoseconds(r.Started, r.Finished));
        json.WriteEndObject();

        json.WriteStartObject("service"u8);
        json.WriteString("name"u8, _service);
        if (_node is not null)
        {
            json.WriteStartObject("node"u8);
            json.WriteString("name"u8, _node);
            json.WriteEndObject();
        }

        json.WriteEndObject();

        json.WriteStartObject("client"u8);
        Span<char> address = stackalloc char[64];
        if (r.Client is { } client && client.TryFormat(address, out var length))
        {
            json.WriteString("ip"u8, address[..length]);
        }
        else
        {
            json.WriteNull("ip"u8);
        }

        json.WriteEndObject();

        json.WriteStartObject("http"u8);
        json.WriteString("version"u8, Version(r.Protocol));
        json.WriteStartObject("request"u8);
        json.WriteString("method"u8, r.Method);

        // The connection's id and the request's number in the log, as Kestrel's own request ids read.
        Span<char> id = stackalloc char[96];
        if (r.ConnectionId is { } connection && id.TryWrite(CultureInfo.InvariantCulture, $"{connection}:{r.Sequence:X8}", out var idLength))
        {
            json.WriteString("id"u8, id[..idLength]);
        }
        else
        {
            json.WriteNull("id"u8);
        }
        json.WriteEndObject();
        json.WriteStartObject("response"u8);
        json.WriteNumber("status_code"u8, r.Status);
        json.WriteStartObject("body"u8);
        json.WriteNumber("bytes"u8, r.Bytes >= 0 ? r.Bytes : r.CountedBytes);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();

        json.WriteStartObject("url"u8);
        json.WriteString("path"u8, r.Path);
        if (!string.IsNullOrEmpty(r.Query))
        {
            json.WriteString("query"u8, r.Query.AsSpan(r.Query[0] == '?' ? 1 : 0));
        }

        json.WriteEndObject();

        if (r.Tls != SslProtocols.None)
        {
            json.WriteStartObject("tls"u8);
            json.WriteString("version_protocol"u8, "tls"u8);
            json.WriteString("version"u8, TlsVersion(r.Tls));
            json.WriteEndObject();
        }

        json.WriteStartObject("user_agent"u8);
        json.WriteString("original"u8, r.UserAgent);
        json.WriteEndObject();

        json.WriteStartObject("edge"u8);
        if (r.CacheStatus is not null)
        {
            json.WriteString("cache_status"u8, r.CacheStatus);
        }

        if (r.Cache is not null)
        {
            json.WriteString("cache"u8, r.Cache);
        }

        json.WriteStartObject("first_byte"u8);
        json.WriteNumber("duration"u8, Nanoseconds(r.Started, r.FirstByte != 0 ? r.FirstByte : r.Finished));
        json.WriteEndObject();
        if (r.UpstreamStatus != 0)
        {
            json.WriteStartObject("upstream"u8);
            json.WriteNumber("status_code"u8, r.UpstreamStatus);
            json.WriteNumber("duration"u8, r.UpstreamDuration.Ticks * 100);
            json.WriteEndObject();
        }

        r.Extra?.Invoke(json, r.ExtraState!);
        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
        _buffer.Write("\n"u8);
    }

    private static string? Version(string? protocol) => protocol switch
    {
        "HTTP/1.1" => "1.1",
        "HTTP/2" => "2",
        "HTTP/3" => "3",
        "HTTP/1.0" => "1.0",
        null => null,
        _ => protocol.StartsWith("HTTP/", StringComparison.Ordinal) ? protocol[5..] : protocol,
    };

    private static string TlsVersion(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "1.3",
        SslProtocols.Tls12 => "1.2",
        _ => protocol.ToString(),
    };

    [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "Access log lines could not be written to {Path}: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 901, Level = LogLevel.Error, Message = "The access log writer stopped")]
    private static partial void LogWriterFailed(ILogger logger, Exception exception);
}
