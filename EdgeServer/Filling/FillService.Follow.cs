using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Origin;
using Microsoft.Extensions.Logging;

namespace Edge.EdgeServer.Filling;

/// <summary>
/// Following a live title: each live manifest is read again at its own pace (a part, half a target duration, an MPD's
/// update period), through the cache so a fresh copy costs the origin nothing, and what it adds is fetched. A manifest
/// that ends (<c>EXT-X-ENDLIST</c>, a static MPD) is done; the job ends when all are, when an operator cancels it,
/// when a manifest fails <see cref="MaxReloadFailures"/> times running, or after <c>Edge:Fill:LiveFollowLimit</c>.
/// </summary>
internal sealed partial class FillService
{
    private const int MaxReloadFailures = 10;

    private async Task FollowAsync(FillJob job, Dictionary<string, HashSet<string>> live, CancellationTokenSource cancel)
    {
        var token = cancel.Token;
        var until = _time.GetUtcNow() + _options.LiveFollowLimit;
        var failures = live.Keys.ToDictionary(k => k, _ => 0, StringComparer.Ordinal);
        var next = live.Keys.ToDictionary(k => k, _ => _time.GetUtcNow(), StringComparer.Ordinal);
        try
        {
            job.State = FillStates.Following;
            LogFollowing(_logger, job.Id, live.Count);
            while (live.Count > 0)
            {
                var now = _time.GetUtcNow();
                if (now >= until)
                {
                    job.AddError($"stopped following after Edge:Fill:LiveFollowLimit ({_options.LiveFollowLimit})");
                    break;
                }

                var wake = next.Values.Min();
                if (wake > now)
                {
                    await Task.Delay(wake - now, _time, token);
                }

                foreach (var manifest in live.Keys.Where(k => next[k] <= _time.GetUtcNow()).ToList())
                {
                    var text = await ReloadAsync(manifest, token);
                    List<string> listed;
                    try
                    {
                        listed = text is null ? [] : ManifestReader.References(manifest, text, _time.GetUtcNow());
                    }
                    catch (Exception ex) when (ex is FormatException or System.Xml.XmlException or OverflowException)
                    {
                        job.AddError($"{manifest}: not a manifest this node can read: {ex.Message}");
                        text = null;
                        listed = [];
                    }

                    if (text is null)
                    {
                        next[manifest] = _time.GetUtcNow() + TimeSpan.FromSeconds(1);
                        if (++failures[manifest] >= MaxReloadFailures)
                        {
                            Failed(job, manifest, $"stopped following: could not be read {MaxReloadFailures} times running");
                            live.Remove(manifest);
                        }

                        continue;
                    }

                    failures[manifest] = 0;
                    next[manifest] = _time.GetUtcNow() + ManifestReader.ReloadInterval(manifest, text);
                    var known = live[manifest];
                    var added = listed.Where(r => !known.Contains(r)).ToList();
                    lock (job)
                    {
                        job.ObjectsTotal += added.Count;
                    }

                    await Parallel.ForEachAsync(added, new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = token }, async (key, t) => await FetchAsync(job, key, t));

                    // Only what is listed now is remembered: what slid out of the window is never listed again.
                    live[manifest] = [.. listed];
                    if (!ManifestReader.IsLive(manifest, text))
                    {
                        live.Remove(manifest);
                    }
                }

                job.Reloads++;
            }

            Finish(job);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Cancelled by an operator (state already says so) or by shutdown (the job follows again on start).
        }
        catch (Exception ex)
        {
            // Nothing a manifest says may end the node: the job fails and says why.
            job.AddError($"following stopped: {ex.Message}");
            Finish(job, FillStates.Failed);
        }
        finally
        {
            _running.TryRemove(job.Id, out _);
            cancel.Dispose();
            Save();
        }
    }

    /// <summary>The manifest as the cache has it, fetched again (revalidated when stored) once it is no longer fresh; null when it cannot be had.</summary>
    private async Task<string?> ReloadAsync(string manifest, CancellationToken cancellationToken)
    {
        var hash = CacheKey.Hash(manifest);
        var stored = _cache.GetMetadata(hash);
        if (stored is null || !Freshness.Evaluate(stored, _time.GetUtcNow()).Fresh)
        {
            var fill = _fills.GetOrStart(hash, manifest, out _, stored, admit: true);
            if (fill is not null)
            {
                try
                {
                    if (!await fill.Done.WaitAsync(cancellationToken)
                        || (fill.Head.IsCompletedSuccessfully && fill.Head.Result is { Outcome: FillOutcome.Body, StatusCode: not 200 }))
                    {
                        return null;
                    }
                }
                finally
                {
                    fill.Leave();
                }
            }
        }

        return _cache.TryReadVerified(hash, manifest, MaxManifestBytes, out _, out var body) ? System.Text.Encoding.UTF8.GetString(body!) : null;
    }

    [LoggerMessage(EventId = 505, Level = LogLevel.Information, Message = "Fill {Id} follows {Count} live manifests")]
    private static partial void LogFollowing(ILogger logger, string id, int count);
}
