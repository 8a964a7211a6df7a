namespace Edge.EdgeServer.Caching.Internal;

/// <summary>
/// S3-FIFO (Yang et al., SOSP 2023), weighted by bytes. New objects enter a small probationary FIFO
/// (10% of the budget); only objects requested again while there move to the main FIFO, so a scan
/// of one-hit objects cycles through the small queue without touching popular titles. A ghost list
/// remembers recent evictions so an object that comes back goes straight to main.
/// </summary>
internal sealed class S3FifoEvictionPolicy(EntryTable table, long capacityBytes) : IEvictionPolicy
{
    private const byte Small = 1;
    private const byte Main = 2;

    // The paper's 10% small queue; its sweep shows the miss ratio flat between 5% and 20%.
    private readonly long _smallTarget = Math.Max(1, capacityBytes / 10);
    private readonly EntryQueue _small = new(table, Small);
    private readonly EntryQueue _main = new(table, Main);
    private readonly GhostList _ghost = new();
    private long _smallBytes;

    public string Name => Configuration.EvictionPolicies.S3Fifo;

    public void OnInserted(int slot, bool restored)
    {
        table.Frequency(slot) = 0;
        if (restored || _ghost.Remove(table.HashOf(slot)))
        {
            Push(slot, Main);
        }
        else
        {
            Push(slot, Small);
        }
    }

    public void OnHit(int slot)
    {
        // A lost increment between two hits at once only makes the object look one access colder.
        ref var frequency = ref table.Frequency(slot);
        if (frequency < 3)
        {
            frequency++;
        }
    }

    public int SelectVictim()
    {
        while (_small.Count > 0 || _main.Count > 0)
        {
            if (_small.Count > 0 && (_smallBytes >= _smallTarget || _main.Count == 0))
            {
                var slot = Pop(_small);
                if (table.Frequency(slot) > 0)
                {
                    table.Frequency(slot) = 0;
                    Push(slot, Main);
                    continue;
                }

                _ghost.Add(table.HashOf(slot), table.Slots);
                return slot;
            }
            else
            {
                var slot = Pop(_main);
                var frequency = table.Frequency(slot);
                if (frequency > 0)
                {
                    table.Frequency(slot) = (byte)(frequency - 1);
                    Push(slot, Main);
                    continue;
                }

                return slot;
            }
        }

        return EntryTable.None;
    }

    public void OnRemoved(int slot)
    {
        if (_small.Contains(slot))
        {
            _small.Remove(slot);
            _smallBytes -= table.SizeOf(slot);
        }
        else
        {
            _main.Remove(slot);
        }
    }

    public IEnumerable<int> EvictionOrder() => [.. _small.InOrder(), .. _main.InOrder()];

    private void Push(int slot, byte queue)
    {
        if (queue == Small)
        {
            _small.AddLast(slot);
            _smallBytes += table.SizeOf(slot);
        }
        else
        {
            _main.AddLast(slot);
        }
    }

    private int Pop(EntryQueue queue)
    {
        var slot = queue.RemoveFirst();
        if (queue == _small)
        {
            _smallBytes -= table.SizeOf(slot);
        }

        return slot;
    }

    /// <summary>
    /// Recently evicted hashes as 32-bit fingerprints in a direct-mapped array about as long as the table (4 bytes per
    /// object): a newer eviction overwrites an older one in its place, so the list forgets the oldest first, roughly,
    /// and never costs more than that. A false match sends an object to main one eviction early.
    /// </summary>
    private sealed class GhostList
    {
        private uint[] _fingerprints = new uint[1024];

        public void Add(UInt128 hash, int objects)
        {
            if (objects > _fingerprints.Length * 2)
            {
                // Grown with the table; what it remembered is dropped, which costs a few early promotions at most.
                _fingerprints = new uint[objects];
            }

            _fingerprints[Index(hash)] = Fingerprint(hash);
        }

        public bool Remove(UInt128 hash)
        {
            ref var slot = ref _fingerprints[Index(hash)];
            if (slot != Fingerprint(hash))
            {
                return false;
            }

            slot = 0;
            return true;
        }

        private int Index(UInt128 hash) => (int)(((ulong)(uint)(hash >> 32) * (ulong)_fingerprints.Length) >> 32);

        private static uint Fingerprint(UInt128 hash) => (uint)(hash >> 96) | 1;
    }
}
