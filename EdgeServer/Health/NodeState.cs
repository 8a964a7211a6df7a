using Edge.EdgeServer.Caching;
using Microsoft.Extensions.Hosting;

namespace Edge.EdgeServer.Health;

/// <summary>Liveness, readiness and draining of this node.</summary>
internal sealed class NodeState
{
    private readonly DiskCache _cache;
    private int _draining;

    public NodeState(DiskCache cache, IHostApplicationLifetime lifetime)
    {
        _cache = cache;

        // A stopping node finishes what it serves but takes no new players.
        lifetime.ApplicationStopping.Register(() => Draining = true);
    }

    public bool Draining
    {
        get => Volatile.Read(ref _draining) != 0;
        set => Volatile.Write(ref _draining, value ? 1 : 0);
    }

    /// <summary>Ready to take traffic: not draining, the cache directory is writable, and the last fill did not find the disk full.</summary>
    public bool IsReady(out string reason)
    {
        if (Draining)
        {
            reason = "draining";
            return false;
        }

        if (_cache.DiskFull is { } full)
        {
            reason = "disk full: " + full;
            return false;
        }

        if (!_cache.IsUsable(out var problem))
        {
            reason = "cache directory unusable: " + problem;
            return false;
        }

        reason = "ready";
        return true;
    }
}
