namespace Edge.EdgeServer.Caching.Internal;

/// <summary>Least-recently-used: the baseline that a scan of one-hit objects flushes.</summary>
internal sealed class LruEvictionPolicy : IEvictionPolicy
{
    private readonly Lock _sync = new();
    private readonly LinkedList<CacheEntry> _order = new();

    public string Name => Configuration.EvictionPolicies.Lru;

    public void OnInserted(CacheEntry entry, bool restored)
    {
        lock (_sync)
        {
            entry.PolicyNode = _order.AddLast(entry);
        }
    }

    public void OnHit(CacheEntry entry)
    {
        lock (_sync)
        {
            if (entry.PolicyNode is { List: not null } node)
            {
                _order.Remove(node);
                _order.AddLast(node);
            }
        }
    }

    public CacheEntry? SelectVictim()
    {
        lock (_sync)
        {
            var first = _order.First;
            if (first is null)
            {
                return null;
            }

            _order.RemoveFirst();
            first.Value.PolicyNode = null;
            return first.Value;
        }
    }

    public void OnRemoved(CacheEntry entry)
    {
        lock (_sync)
        {
            if (entry.PolicyNode is { List: not null } node)
            {
                _order.Remove(node);
                entry.PolicyNode = null;
            }
        }
    }
}
