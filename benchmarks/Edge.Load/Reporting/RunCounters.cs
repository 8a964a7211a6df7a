using System.Collections.Concurrent;

namespace Edge.Load.Reporting;

/// <summary>Live counts of a run, updated by every worker and read by the progress line.</summary>
internal sealed class RunCounters
{
    private readonly ConcurrentDictionary<string, long> _statusCodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private long _requests;
    private long _bytes;
    private long _inFlightAtStop;

    public long Requests => Interlocked.Read(ref _requests);

    public long Bytes => Interlocked.Read(ref _bytes);

    public long ErrorCount => _errors.Values.Sum();

    public long InFlightAtStop => Interlocked.Read(ref _inFlightAtStop);

    public IReadOnlyDictionary<string, long> StatusCodes => new SortedDictionary<string, long>(_statusCodes, StringComparer.Ordinal);

    public IReadOnlyDictionary<string, long> Errors => new SortedDictionary<string, long>(_errors, StringComparer.Ordinal);

    /// <summary>A response read to its end; 4xx and 5xx count as errors too.</summary>
    public void Completed(int status, long bytes)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _bytes, bytes);
        _statusCodes.AddOrUpdate(StatusKey(status), 1, static (_, n) => n + 1);
        if (status >= 400)
        {
            Error("http_" + StatusKey(status));
        }
    }

    public void Error(string kind) => _errors.AddOrUpdate(kind, 1, static (_, n) => n + 1);

    public void StoppedInFlight() => Interlocked.Increment(ref _inFlightAtStop);

    private static string StatusKey(int status) => status switch
    {
        200 => "200",
        206 => "206",
        304 => "304",
        404 => "404",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
