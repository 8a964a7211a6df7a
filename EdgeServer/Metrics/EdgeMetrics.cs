using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Edge.EdgeServer.Caching;
using Prometheus;

namespace Edge.EdgeServer.Metrics;

/// <summary>How a request was answered, as seen in <c>Cache-Status</c> and the <c>cache</c> metric label.</summary>
internal enum CacheResult
{
    /// <summary>Not a cacheable request (bad path, method, health).</summary>
    Bypass,
    Hit,
    Miss,

    /// <summary>A miss that joined another request's fill.</summary>
    Collapsed,
    Error,

    /// <summary>A stale object the origin confirmed with 304.</summary>
    Revalidated,

    /// <summary>A stale object served because the origin failed (stale-if-error).</summary>
    Stale,
}

/// <summary>
/// The node's Prometheus metrics, in a registry of its own so that several nodes can live in one
/// process. Label children are resolved once per (status, result) so recording allocates nothing.
/// </summary>
internal sealed class EdgeMetrics
{
    private static readonly string[] ResultNames = ["bypass", "hit", "miss", "collapsed", "error", "revalidated", "stale"];

    /// <summary>The word metrics and the access log use for <paramref name="result"/>.</summary>
    public static string NameOf(CacheResult result) => ResultNames[(int)result];

    private readonly Counter _requests;
    private readonly Counter _responseBytes;
    private readonly Histogram _duration;
    private readonly ConcurrentDictionary<(int Status, CacheResult Result), Counter.Child> _requestChildren = new();
    private readonly Counter.Child[] _bytesChildren;
    private readonly Histogram.Child[] _durationChildren;
    private long _totalRequests;
    private long _totalHits;
    private long _totalBytes;

    public EdgeMetrics(DiskCache cache, string nodeId, MemoryTier? memory = null, Health.ConnectionCounter? connections = null, Serving.StalledWrites? stalls = null)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        IMetricFactory factory = Prometheus.Metrics.WithCustomRegistry(Registry);

        // Exemplars would read the trace context on every observation of the hit path.
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        factory = factory.WithLabels(new Dictionary<string, string> { ["node"] = nodeId });
        Factory = factory;

        _requests = factory.CreateCounter("edge_requests_total", "Requests answered, by status code and cache result.", ["code", "cache"]);
        _responseBytes = factory.CreateCounter("edge_response_bytes_total", "Body bytes sent to clients, by cache result.", ["cache"]);
        _duration = factory.CreateHistogram("edge_request_duration_seconds", "Time to answer a request, by cache result.", new HistogramConfiguration
        {
            LabelNames = ["cache"],
            Buckets = Histogram.ExponentialBuckets(0.0001, 2.5, 14),
        });
        OriginFetches = factory.CreateCounter("edge_origin_fetches_total", "Requests sent to the origin.");
        OriginFetchResults = factory.CreateCounter("edge_origin_fetch_results_total", "Origin fetches by outcome (stored, not_stored, passthrough, error, unreachable, timeout, truncated).", ["result"]);
        OriginBytes = factory.CreateCounter("edge_origin_bytes_total", "Body bytes received from the origin.");
        CollapsedRequests = factory.CreateCounter("edge_collapsed_requests_total", "Requests served from another request's origin fill.");
        FillWaiting = factory.CreateGauge("edge_fill_waiting_requests", "Requests waiting now for an origin fill's response to begin (players held by a blocking live playlist reload count here).");
        Revalidations = factory.CreateCounter("edge_revalidations_total", "Conditional requests for stale objects, by answer (not_modified, modified, error).", ["result"]);
        StaleServed = factory.CreateCounter("edge_stale_served_total", "Responses served stale, by reason (stale_while_revalidate, stale_if_error).", ["reason"]);
        FillObjects = factory.CreateCounter("edge_fill_objects_total", "Objects handled by proactive fills, by result (fetched, present, failed).", ["result"]);
        FillBytes = factory.CreateCounter("edge_fill_bytes_total", "Bytes fetched by proactive fills.");
        FillJobs = factory.CreateCounter("edge_fill_jobs_total", "Proactive fill jobs finished, by state (done, failed).", ["state"]);
        IntegrityFailures = factory.CreateCounter("edge_integrity_failures_total", "Cached objects whose bytes did not match the checksums written at fill time; each was dropped and never sent.");
        cache.IntegrityFailures = () => IntegrityFailures.Inc();
        Invalidations = factory.CreateCounter("edge_invalidations_total", "Stored objects dropped because an unsafe method forwarded to the origin succeeded on them (RFC 9111 4.4).");
        DescriptorExhaustion = factory.CreateCounter("edge_descriptor_exhaustion_total", "Requests answered 503 because the process was out of file descriptors even after closing idle cached files.");
        var openFiles = factory.CreateGauge("edge_cache_open_files", "Cached objects' files held open (at most Edge:MaxOpenFiles).");
        var openFilesClosed = factory.CreateCounter("edge_cache_open_files_closed_total", "Idle cached objects' files closed to stay within Edge:MaxOpenFiles or to free descriptors.");
        Registry.AddBeforeCollectCallback(() =>
        {
            openFiles.Set(cache.OpenFiles.Count);
            openFilesClosed.IncTo(cache.OpenFiles.Closed);
        });
        OriginFillsActive = factory.CreateGauge("edge_origin_fills_active", "Fills running against the origin now (at most Edge:OriginMaxConcurrentFills).");
        var refused = factory.CreateCounter("edge_connections_refused_total", "Client connections closed at once because their address held Edge:Limits:MaxConnectionsPerClient already.");
        var halfOpen = factory.CreateGauge("edge_connections_half_open", "Client connections that have not yet sent a whole request (TLS handshake or headers arriving).");
        var halfOpenClosed = factory.CreateCounter("edge_connections_half_open_closed_total", "Half-open connections closed by their budget: client_limit (over Edge:Limits:MaxHalfOpenConnectionsPerClient), oldest (over Edge:Limits:MaxHalfOpenConnections).", ["reason"]);
        var stalled = factory.CreateCounter("edge_responses_stalled_total", "Responses cut because a body write waited on the client past Edge:Limits:ResponseStallTimeout.");
        var direct = factory.CreateCounter("edge_direct_send_bytes_total", "Body bytes sent to plain-HTTP clients straight from the memory tier, without a copy into the output buffers (Edge:Transport:DirectSend).");
        Registry.AddBeforeCollectCallback(() =>
        {
            refused.IncTo(connections?.Refused ?? 0);
            halfOpen.Set(connections?.HalfOpenCount ?? 0);
            halfOpenClosed.WithLabels("client_limit").IncTo(connections?.HalfOpenRefused ?? 0);
            halfOpenClosed.WithLabels("oldest").IncTo(connections?.HalfOpenEvicted ?? 0);
            stalled.IncTo(stalls?.Cut ?? 0);
            direct.IncTo(stalls?.DirectBytes ?? 0);
        });
        MemoryHits = factory.CreateCounter("edge_memory_hits_total", "Requests answered from the memory tier, without disk I/O.");
        AdmissionDeclined = factory.CreateCounter("edge_admission_declined_total", "Misses not stored because the doorkeeper had not seen the object before within its window.");
        var memoryBytes = factory.CreateGauge("edge_memory_bytes", "Bytes held by the memory tier.");
        var memoryObjects = factory.CreateGauge("edge_memory_objects", "Objects held by the memory tier.");
        Registry.AddBeforeCollectCallback(() =>
        {
            memoryBytes.Set(memory?.Bytes ?? 0);
            memoryObjects.Set(memory?.Count ?? 0);
        });

        var used = factory.CreateGauge("edge_cache_used_bytes", "Bytes of published objects on disk.");
        var reserved = factory.CreateGauge("edge_cache_reserved_bytes", "Bytes reserved by fills in progress.");
        var max = factory.CreateGauge("edge_cache_max_bytes", "The budget of all cache disks.");
        var objects = factory.CreateGauge("edge_cache_objects", "Objects in the disk cache.");
        var evictions = factory.CreateCounter("edge_cache_evictions_total", "Objects evicted to stay within the budget.");
        var evictedBytes = factory.CreateCounter("edge_cache_evicted_bytes_total", "Bytes evicted to stay within the budget.");
        var diskUsed = factory.CreateGauge("edge_cache_disk_used_bytes", "Bytes of published objects on each cache disk (0 while it is out of service).", ["disk"]);
        var diskMax = factory.CreateGauge("edge_cache_disk_max_bytes", "Each cache disk's budget (Edge:CacheDirectories:N:MaxBytes).", ["disk"]);
        var diskObjects = factory.CreateGauge("edge_cache_disk_objects", "Objects on each cache disk.", ["disk"]);
        var diskErrors = factory.CreateCounter("edge_cache_disk_errors_total", "I/O errors on each cache disk's files, missing files included.", ["disk"]);
        var diskState = factory.CreateGauge("edge_cache_disk_state", "1 for each cache disk's current state (loading, online, failed), 0 for the others.", ["disk", "state"]);
        var indexBytes = factory.CreateGauge("edge_cache_index_bytes", "Memory the cache disks' indexes take.");
        Registry.AddBeforeCollectCallback(() =>
        {
            long index = 0;
            foreach (var disk in cache.Disks)
            {
                var label = disk.Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
                diskUsed.WithLabels(label).Set(disk.UsedBytes);
                diskMax.WithLabels(label).Set(disk.MaxBytes);
                diskObjects.WithLabels(label).Set(disk.Count);
                diskErrors.WithLabels(label).IncTo(disk.Errors);
                var state = disk.State;
                foreach (var name in Enum.GetValues<Caching.DiskState>())
                {
                    diskState.WithLabels(label, name.ToString().ToLowerInvariant()).Set(name == state ? 1 : 0);
                }

                index += disk.IndexBytes;
            }

            indexBytes.Set(index);
        });
        Registry.AddBeforeCollectCallback(() =>
        {
            used.Set(cache.UsedBytes);
            reserved.Set(cache.ReservedBytes);
            max.Set(cache.MaxBytes);
            objects.Set(cache.Count);
            evictions.IncTo(cache.Evictions);
            evictedBytes.IncTo(cache.EvictedBytes);
        });

        _bytesChildren = [.. ResultNames.Select(n => _responseBytes.WithLabels(n))];
        _durationChildren = [.. ResultNames.Select(n => _duration.WithLabels(n))];
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Creates metrics in <see cref="Registry"/> with the node's label, for features that keep their own.</summary>
    public IMetricFactory Factory { get; }

    public Counter OriginFetches { get; }

    public Counter OriginFetchResults { get; }

    public Counter OriginBytes { get; }

    public Counter CollapsedRequests { get; }

    public Gauge FillWaiting { get; }

    public Counter IntegrityFailures { get; }

    /// <summary>Objects invalidated by a successful forwarded unsafe method.</summary>
    public Counter Invalidations { get; }

    public Counter DescriptorExhaustion { get; }

    public Gauge OriginFillsActive { get; }

    public Counter MemoryHits { get; }

    public Counter AdmissionDeclined { get; }

    public Counter Revalidations { get; }

    public Counter FillObjects { get; }

    public Counter FillBytes { get; }

    public Counter FillJobs { get; }

    public Counter StaleServed { get; }

    /// <summary>Requests answered since start, for the node's heartbeat.</summary>
    public long TotalRequests => Interlocked.Read(ref _totalRequests);

    /// <summary>Requests answered from the cache since start.</summary>
    public long TotalHits => Interlocked.Read(ref _totalHits);

    /// <summary>Body bytes sent to clients since start.</summary>
    public long TotalResponseBytes => Interlocked.Read(ref _totalBytes);

    public void RecordRequest(int status, CacheResult result, long bytes, long startTimestamp)
    {
        var child = _requestChildren.GetOrAdd((status, result), static (key, requests) =>
            requests.WithLabels(key.Status.ToString(CultureInfo.InvariantCulture), ResultNames[(int)key.Result]), _requests);
        child.Inc();
        Interlocked.Increment(ref _totalRequests);
        if (result is CacheResult.Hit or CacheResult.Revalidated or CacheResult.Stale)
        {
            Interlocked.Increment(ref _totalHits);
        }

        if (bytes > 0)
        {
            _bytesChildren[(int)result].Inc(bytes);
            Interlocked.Add(ref _totalBytes, bytes);
        }

        _durationChildren[(int)result].Observe(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
    }
}
