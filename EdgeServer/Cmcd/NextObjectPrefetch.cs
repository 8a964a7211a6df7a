using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Configuration;
using Edge.EdgeServer.Live;
using Edge.EdgeServer.Metrics;
using Edge.EdgeServer.Origin;
using Edge.EdgeServer.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Edge.EdgeServer.Cmcd;

/// <summary>
/// Starts the fill of the object a player says it will ask for next (CMCD <c>nor</c>) when it is not stored, through
/// the same collapsing and origin slots as a miss. The named object passes the same checks as a request for it
/// (signature, path, file type), and prefetches hold at most <see cref="PrefetchOptions.MaxOriginShare"/> of the
/// origin slots, so hints cannot crowd out players' own misses.
/// </summary>
internal sealed class NextObjectPrefetch
{
    private readonly RequestGate _gate;
    private readonly DiskCache _cache;
    private readonly FillCoordinator _fills;
    private readonly PartTargets _liveFolders;
    private readonly bool _enabled;
    private readonly int _cap;
    private readonly Counter.Child _started;
    private readonly Counter.Child _stored;
    private readonly Counter.Child _filling;
    private readonly Counter.Child _capped;
    private readonly Counter.Child _refused;
    private readonly Counter.Child _live;
    private int _running;

    public NextObjectPrefetch(RequestGate gate, DiskCache cache, FillCoordinator fills, EdgeMetrics metrics, IOptions<EdgeOptions> options, PartTargets liveFolders)
    {
        _liveFolders = liveFolders;
        _gate = gate;
        _cache = cache;
        _fills = fills;
        var value = options.Value;
        _enabled = value.Prefetch.Enabled;
        _cap = Math.Max(1, (int)Math.Floor(value.OriginMaxConcurrentFills * value.Prefetch.MaxOriginShare));
        var results = metrics.Factory.CreateCounter("edge_prefetch_total", "Next objects named by players (CMCD nor), by what was done: started (a fill), stored (already cached), filling (a fill already running), capped (prefetches held their share of origin slots), refused (not an object the player could ask for), live (a live title's part, which blocking reloads deliver).", ["result"]);
        _started = results.WithLabels("started");
        _stored = results.WithLabels("stored");
        _filling = results.WithLabels("filling");
        _capped = results.WithLabels("capped");
        _refused = results.WithLabels("refused");
        _live = results.WithLabels("live");
    }

    /// <summary>Prefetches running now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>The most prefetches that may run at once.</summary>
    public int Cap => _cap;

    /// <summary>Considers <paramref name="next"/>, named by <paramref name="context"/>'s request, for a background fill.</summary>
    public void Consider(HttpContext context, string next)
    {
        if (!_enabled)
        {
            return;
        }

        var request = context.Request;
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var here = new Uri("http://node" + (query < 0 ? raw : raw[..query]), UriKind.Absolute);
        if (!Uri.TryCreate(here, next, out var target)
            || !(target.Authority == here.Authority || string.Equals(target.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase))
            || target.Scheme is not ("http" or "https"))
        {
            // Another host's object is not this node's to fetch.
            _refused.Inc();
            return;
        }

        var rawPath = target.AbsolutePath;
        string path;
        try
        {
            path = Uri.UnescapeDataString(rawPath);
        }
        catch (UriFormatException)
        {
            _refused.Inc();
            return;
        }

        // A live title's next part may not exist yet: fetched early it would be a 404 the player then hits. Blocking
        // reloads and preload hints already get live parts to players as they are written.
        if (_liveFolders.For(path) is not null)
        {
            _live.Inc();
            return;
        }

        var key = _gate.KeyForOther(context, path, rawPath, target.Query);
        if (key is null)
        {
            _refused.Inc();
            return;
        }

        var hash = CacheKey.Hash(key);
        if (_cache.Contains(hash))
        {
            _stored.Inc();
            return;
        }

        if (_fills.Running(hash) is not null)
        {
            _filling.Inc();
            return;
        }

        if (Interlocked.Increment(ref _running) > _cap)
        {
            Interlocked.Decrement(ref _running);
            _capped.Inc();
            return;
        }

        var fill = _fills.GetOrStart(hash, key, out var started, admit: true);
        if (fill is null || !started)
        {
            fill?.Leave();
            Interlocked.Decrement(ref _running);
            _filling.Inc();
            return;
        }

        _started.Inc();
        _ = FollowAsync(fill);
    }

    private async Task FollowAsync(OriginFill fill)
    {
        try
        {
            await fill.Done.ConfigureAwait(false);
        }
        finally
        {
            fill.Leave();
            Interlocked.Decrement(ref _running);
        }
    }
}
