namespace Edge.EdgeServer.Caching.Internal;

/// <summary>
/// S3-FIFO (Yang et al., SOSP 2023), weighted by bytes. New objects enter a small probationary FIFO
/// (10% of the budget); only objects requested again while there move to the main FIFO, so a scan
/// of one-hit objects cycles through the small queue without touching popular titles. A ghost list
/// remembers recent evictions so an object that comes back goes straight to main.
/// </summary>
internal sealed class S3FifoEvictionPolicy(long capacityBytes) : IEvictionPolicy
{
    private const byte Small = 1;
    private const byte Main = 2;

    // The paper's 10% small queue; its sweep shows the miss ratio flat between 5% and 20%.
    private readonly long _smallTarget = Math.Max(1, capacityBytes / 10);
    private readonly EntryQueue _small = new();
    private readonly EntryQueue _main = new();
    private readonly GhostList _ghost = new();
    private long _smallBytes;

    public string Name => Configuration.EvictionPolicies.S3Fifo;

    public void OnInserted(CacheEntry entry, bool restored)
    {
        entry.ResetFrequency(0);
        if (restored || _ghost.Remove(entry.Hash))
        {
            Push(entry, Main);
        }
        else
        {
            Push(entry, Small);
        }
    }

    public void OnHit(CacheEntry entry) => entry.RecordAccess();

    public CacheEntry? SelectVictim()
    {
        while (_small.Count > 0 || _main.Count > 0)
        {
            if (_small.Count > 0 && (_smallBytes >= _smallTarget || _main.Count == 0))
            {
                var entry = Pop(_small);
                if (entry.Frequency > 0)
                {
                    entry.ResetFrequency(0);
                    Push(entry, Main);
                    continue;
                }

                _ghost.Add(entry.Hash, Math.Max(16, _main.Count + _small.Count));
                return entry;
            }
            else
            {
                var entry = Pop(_main);
                var frequency = entry.Frequency;
                if (frequency > 0)
                {
                    entry.ResetFrequency(frequency - 1);
                    Push(entry, Main);
                    continue;
                }

                return entry;
            }
        }

        return null;
    }

    public void OnRemoved(CacheEntry entry)
    {
        if (entry.PolicyQueueRef is { } queue)
        {
            queue.Remove(entry);
            if (queue == _small)
            {
                _smallBytes -= entry.SizeOnDisk;
            }
        }
    }

    private void Push(CacheEntry entry, byte queue)
    {
        entry.PolicyQueue = queue;
        if (queue == Small)
        {
            _small.AddLast(entry);
            _smallBytes += entry.SizeOnDisk;
        }
        else
        {
            _main.AddLast(entry);
        }
    }

    private CacheEntry Pop(EntryQueue queue)
    {
        var entry = queue.RemoveFirst()!;
        if (queue == _small)
        {
            _smallBytes -= entry.SizeOnDisk;
        }

        return entry;
    }

    /// <summary>FIFO set of recently evicted hashes, bounded by the number of cached objects.</summary>
    private sealed class GhostList
    {
        private readonly Queue<UInt128> _order = new();
        private readonly HashSet<UInt128> _members = [];

        public void Add(UInt128 hash, int capacity)
        {
            if (_members.Add(hash))
            {
                _order.Enqueue(hash);
            }

            while (_order.Count > capacity && _order.TryDequeue(out var old))
            {
                _members.Remove(old);
            }
        }

        // Stale queue slots of removed members are skipped when dequeued above.
        public bool Remove(UInt128 hash) => _members.Remove(hash);
    }
}
