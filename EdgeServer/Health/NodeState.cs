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

    /// <summary>Ready to take traffic: not draining, at least one cache disk in service and writable, and not every disk found full.</summary>
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
            reason = problem;
            return false;
        }

        // Ready with disks out of service: the node serves from the others, and says so.
        reason = problem.Length == 0 ? "ready" : "ready; " + problem;
        return true;
    }
}
