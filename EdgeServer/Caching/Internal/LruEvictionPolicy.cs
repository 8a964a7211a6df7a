namespace Edge.EdgeServer.Caching.Internal;

/// <summary>Least-recently-used: the baseline that a scan of one-hit objects flushes.</summary>
internal sealed class LruEvictionPolicy : IEvictionPolicy
{
    private readonly Lock _sync = new();
    private readonly EntryQueue _order = new();

    public string Name => Configuration.EvictionPolicies.Lru;

    public void OnInserted(CacheEntry entry, bool restored)
    {
        lock (_sync)
        {
            _order.AddLast(entry);
        }
    }

    public void OnHit(CacheEntry entry)
    {
        lock (_sync)
        {
            if (_order.Contains(entry))
            {
                _order.Remove(entry);
                _order.AddLast(entry);
            }
        }
    }

    public CacheEntry? SelectVictim()
    {
        lock (_sync)
        {
            return _order.RemoveFirst();
        }
    }

    public void OnRemoved(CacheEntry entry)
    {
        lock (_sync)
        {
            _order.Remove(entry);
        }
    }
}
