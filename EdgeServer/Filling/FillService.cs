using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Metrics;
using Edge.EdgeServer.Origin;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Filling;

/// <summary>
/// Proactive fill: walks a title's manifest tree from the fill source and stores every object, pinned, so the first
/// viewer gets hits. Jobs are kept in <c>fills.json</c> and resume after a restart (objects already present are not
/// fetched again), run one at a time inside <c>Edge:Fill:Window</c>, and are paced to <c>Edge:Fill:MaxBytesPerSecond</c>.
/// A live title's playlists are then followed in the background until the event ends (see FillService.Follow.cs).
/// </summary>
internal sealed partial class FillService : BackgroundService
{
    private const string JobsFile = "fills.json";
    private const long MaxManifestBytes = 16 * 1024 * 1024;

    private readonly ConcurrentDictionary<string, FillJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private readonly Channel<FillJob> _queue = Channel.CreateUnbounded<FillJob>();
    private readonly Lock _saveLock = new();
    private readonly DiskCache _cache;
    private readonly FillCoordinator _fills;
    private readonly EdgeMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<FillService> _logger;
    private readonly FillOptions _options;
    private readonly FillWindow _window;
    private readonly ByteRateLimiter _limiter;
    private readonly string _jobsPath;

    public FillService(DiskCache cache, FillCoordinator fills, EdgeMetrics metrics, TimeProvider time, IOptions<EdgeOptions> options, ILogger<FillService> logger)
    {
        _cache = cache;
        _fills = fills;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _options = options.Value.Fill;
        _window = FillWindow.TryParse(_options.Window, out var window) ? window : FillWindow.Always;
        _limiter = new ByteRateLimiter(_options.MaxBytesPerSecond, time);
        _jobsPath = Path.Combine(cache.StateDirectory, JobsFile);
        Load();
    }

    public IReadOnlyList<FillJob> Jobs => [.. _jobs.Values.OrderBy(j => j.CreatedAt)];

    public FillJob? Find(string id) => _jobs.GetValueOrDefault(id);

    /// <summary>Queues a fill of the title whose master manifest is at <paramref name="manifest"/> and pins its folder.</summary>
    public FillJob Enqueue(string manifest)
    {
        var prefix = manifest[..(manifest.LastIndexOf('/') + 1)];
        var job = new FillJob { Id = Guid.NewGuid().ToString("N")[..12], Manifest = manifest, Prefix = prefix, CreatedAt = _time.GetUtcNow() };
        _cache.Pin(prefix);
        _jobs[job.Id] = job;
        Save();
        _queue.Writer.TryWrite(job);
        LogQueued(_logger, job.Id, manifest);
        return job;
    }

    /// <summary>Stops a queued or running job; what it stored stays, pinned until the title is unpinned.</summary>
    public bool Cancel(string id)
    {
        if (!_jobs.TryGetValue(id, out var job) || FillStates.IsFinished(job.State))
        {
            return false;
        }

        job.State = FillStates.Cancelled;
        job.FinishedAt = _time.GetUtcNow();
        if (_running.TryGetValue(id, out var cancel))
        {
            cancel.Cancel();
        }

        Save();
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var job in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            if (FillStates.IsFinished(job.State))
            {
                continue;
            }

            var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            _running[job.Id] = cancel;
            Dictionary<string, HashSet<string>>? live = null;
            try
            {
                live = await RunAsync(job, cancel.Token);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                // Cancelled by an operator (state already says so) or by shutdown (the job resumes on start).
            }
            finally
            {
                if (live is null)
                {
                    _running.TryRemove(job.Id, out _);
                    cancel.Dispose();
                }

                Save();
            }

            if (live is not null)
            {
                // An event runs for hours: following it must not hold up the jobs queued behind it.
                _ = FollowAsync(job, live, cancel);
            }
        }
    }

    /// <summary>Stores the title's manifest tree; for a live title, returns its live manifests with what each lists, to follow.</summary>
    private async Task<Dictionary<string, HashSet<string>>?> RunAsync(FillJob job, CancellationToken cancellationToken)
    {
        await WaitForWindowAsync(job, cancellationToken);
        job.State = FillStates.Running;
        job.StartedAt ??= _time.GetUtcNow();
        (job.ObjectsTotal, job.ObjectsDone, job.ObjectsPresent, job.ObjectsFailed, job.BytesDone) = (1, 0, 0, 0, 0);
        Save();

        // Manifests first, one by one: each names the next level. Then the media, several at a time.
        var media = new List<string>();
        var live = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var manifests = new Queue<string>([job.Manifest]);
        var seen = new HashSet<string>(StringComparer.Ordinal) { job.Manifest };
        while (manifests.TryDequeue(out var manifest))
        {
            await WaitForWindowAsync(job, cancellationToken);
            if (!await FetchAsync(job, manifest, cancellationToken))
            {
                continue;
            }

            var hash = CacheKey.Hash(manifest);
            if (!_cache.TryReadVerified(hash, manifest, MaxManifestBytes, out _, out var body))
            {
                job.AddError($"{manifest}: stored but unreadable");
                continue;
            }

            List<string> references;
            try
            {
                var text = System.Text.Encoding.UTF8.GetString(body!);
                references = ManifestReader.References(manifest, text, _time.GetUtcNow());
                if (ManifestReader.IsLive(manifest, text))
                {
                    live[manifest] = [.. references];
                    if (!job.Live)
                    {
                        // A live title grows for as long as the event runs: pinned, its parts would fill the disk.
                        job.Live = true;
                        _cache.Unpin(job.Prefix);
                    }
                }
            }
            catch (Exception ex) when (ex is FormatException or System.Xml.XmlException or OverflowException)
            {
                job.AddError($"{manifest}: not a manifest this node can read: {ex.Message}");
                continue;
            }

            foreach (var reference in references.Where(seen.Add))
            {
                job.ObjectsTotal++;
                if (ManifestReader.IsManifest(reference))
                {
                    manifests.Enqueue(reference);
                }
                else
                {
                    media.Add(reference);
                }
            }
        }

        await Parallel.ForEachAsync(media, new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = cancellationToken }, async (key, token) =>
        {
            await WaitForWindowAsync(job, token);
            await FetchAsync(job, key, token);
        });

        if (live.Count > 0)
        {
            return live;
        }

        Finish(job);
        return null;
    }

    private void Finish(FillJob job, string? state = null)
    {
        job.State = state ?? (job.ObjectsFailed == 0 ? FillStates.Done : FillStates.Failed);
        job.FinishedAt = _time.GetUtcNow();
        _metrics.FillJobs.WithLabels(job.State).Inc();
        LogFinished(_logger, job.Id, job.State, job.ObjectsDone, job.ObjectsTotal, job.BytesFetched);
    }

    // Fetches one object unless it is already stored; false when it could not be stored.
    private async Task<bool> FetchAsync(FillJob job, string key, CancellationToken cancellationToken)
    {
        var hash = CacheKey.Hash(key);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (_cache.TryGetSize(hash, key, out var present))
            {
                lock (job)
                {
                    job.ObjectsDone++;
                    job.BytesDone += present;
                    if (attempt == 0)
                    {
                        job.ObjectsPresent++;
                    }
                }

                _metrics.FillObjects.WithLabels(attempt == 0 ? "present" : "fetched").Inc();
                return true;
            }

            var fill = _fills.GetOrStart(hash, key, out _, admit: true);
            if (fill is null)
            {
                continue;
            }

            bool completed;
            try
            {
                completed = await fill.Done.WaitAsync(cancellationToken);
            }
            finally
            {
                fill.Leave();
            }

            if (!completed)
            {
                Failed(job, key, fill.Failure ?? "fill failed");
                return false;
            }

            if (fill.Head.IsCompletedSuccessfully && fill.Head.Result is { } head
                && (head.Outcome is not FillOutcome.Body and not FillOutcome.NotModified || (head.Outcome == FillOutcome.Body && head.StatusCode != 200)))
            {
                Failed(job, key, $"fill source answered {head.StatusCode}");
                return false;
            }

            if (_cache.TryGetSize(hash, key, out var size))
            {
                lock (job)
                {
                    job.BytesFetched += size;
                }

                _metrics.FillBytes.Inc(size);
                await _limiter.WaitAsync(size, cancellationToken);
            }
        }

        if (_cache.TryGetSize(hash, key, out _))
        {
            return true;
        }

        Failed(job, key, "not stored (no-store, private, Vary, or no space)");
        return false;
    }

    private void Failed(FillJob job, string key, string reason)
    {
        lock (job)
        {
            job.ObjectsFailed++;
        }

        job.AddError($"{key}: {reason}");
        _metrics.FillObjects.WithLabels("failed").Inc();
    }

    private async Task WaitForWindowAsync(FillJob job, CancellationToken cancellationToken)
    {
        var wait = _window.UntilOpen(_time.GetLocalNow());
        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        // The timer is armed before the state says so: whoever sees "waiting" and moves the clock wakes the job.
        var opens = Task.Delay(wait, _time, cancellationToken);
        var previous = job.State;
        job.State = FillStates.WaitingForWindow;
        Save();
        LogWaiting(_logger, job.Id, _window, wait);
        await opens;
        job.State = previous == FillStates.WaitingForWindow ? FillStates.Running : previous;
        Save();
    }

    private void Load()
    {
        if (!File.Exists(_jobsPath))
        {
            return;
        }

        try
        {
            var jobs = JsonSerializer.Deserialize(File.ReadAllText(_jobsPath), FillJsonContext.Default.ListFillJob) ?? [];
            foreach (var job in jobs)
            {
                _jobs[job.Id] = job;
                if (!FillStates.IsFinished(job.State))
                {
                    // A restart continues where the job was: present objects are counted, not fetched again.
                    job.State = FillStates.Queued;
                    _queue.Writer.TryWrite(job);
                    LogResumed(_logger, job.Id, job.Manifest);
                }
            }
        }
        catch (JsonException ex)
        {
            LogJobsUnreadable(_logger, _jobsPath, ex.Message);
        }
    }

    private void Save()
    {
        lock (_saveLock)
        {
            var temp = _jobsPath + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(Jobs.ToList(), FillJsonContext.Default.ListFillJob));
            File.Move(temp, _jobsPath, overwrite: true);
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Fill {Id} queued for {Manifest}")]
    private static partial void LogQueued(ILogger logger, string id, string manifest);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Fill {Id} resumed for {Manifest}")]
    private static partial void LogResumed(ILogger logger, string id, string manifest);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Fill {Id} waits {Wait} for its window {Window}")]
    private static partial void LogWaiting(ILogger logger, string id, FillWindow window, TimeSpan wait);

    [LoggerMessage(EventId = 503, Level = LogLevel.Information, Message = "Fill {Id} {State}: {Done} of {Total} objects, {Bytes} bytes fetched")]
    private static partial void LogFinished(ILogger logger, string id, string state, int done, int total, long bytes);

    [LoggerMessage(EventId = 504, Level = LogLevel.Warning, Message = "Fill jobs file {Path} is unreadable and was ignored: {Reason}")]
    private static partial void LogJobsUnreadable(ILogger logger, string path, string reason);
}
