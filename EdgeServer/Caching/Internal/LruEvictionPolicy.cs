namespace Edge.EdgeServer.Caching.Internal;

/// <summary>Least-recently-used: the baseline that a scan of one-hit objects flushes.</summary>
internal sealed class LruEvictionPolicy(EntryTable table) : IEvictionPolicy
{
    private readonly Lock _sync = new();
    private readonly EntryQueue _order = new(table, 1);

    public string Name => Configuration.EvictionPolicies.Lru;

    public void OnInserted(int slot, bool restored)
    {
        lock (_sync)
        {
            _order.AddLast(slot);
        }
    }

    public void OnHit(int slot)
    {
        lock (_sync)
        {
            if (_order.Contains(slot))
            {
                _order.Remove(slot);
                _order.AddLast(slot);
            }
        }
    }

    public int SelectVictim()
    {
        lock (_sync)
        {
            return _order.RemoveFirst();
        }
    }

    public void OnRemoved(int slot)
    {
        lock (_sync)
        {
            _order.Remove(slot);
        }
    }

    public IEnumerable<int> EvictionOrder()
    {
        lock (_sync)
        {
            return [.. _order.InOrder()];
        }
    }
}
