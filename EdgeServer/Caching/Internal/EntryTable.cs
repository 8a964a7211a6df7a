namespace Edge.EdgeServer.Caching.Internal;

/// <summary>
/// One disk's index as a table of fixed-size records (struct of arrays), not a graph of objects: per object its
/// 128-bit hash, size on disk, two queue links for the eviction policy, a hit count, two policy bytes and a reference
/// to its open file (null while idle), about 46 bytes, plus about 6 bytes of hash buckets. Records live in pages
/// that never move, so a reader racing a writer sees a stale record at worst, never a moved one.
/// </summary>
/// <remarks>
/// Writers hold the owning disk's lock. Readers take none: <see cref="Find"/> may answer a record that was removed or
/// reused a moment ago, so callers check what they read (an open file carries its own hash and key).
/// </remarks>
internal sealed class EntryTable
{
    public const int None = -1;

    private const int PageBits = 16;
    private const int PageSize = 1 << PageBits;
    private const int PageMask = PageSize - 1;

    // Bucket values: 0 empty, 1 a removed record's tombstone, otherwise slot + 2.
    private const int Empty = 0;
    private const int Tombstone = 1;
    private const double MaxLoad = 0.75;
    private const double LoadAfterResize = 0.6;

    private Page[] _pages = [];
    private int[] _buckets = new int[1024];
    private int _slots;
    private int _freeHead = None;
    private int _count;
    private int _tombstones;

    /// <summary>Objects in the table.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Records allocated (used and free); pages hold 65,536 each.</summary>
    public int Slots => _slots;

    /// <summary>Bytes the table's arrays take, for sizing.</summary>
    public long Bytes => ((long)_pages.Length * PageSize * Page.BytesPerSlot) + (4L * _buckets.Length);

    /// <summary>The slot holding <paramref name="hash"/>, or <see cref="None"/>. Lock-free; see the remarks.</summary>
    public int Find(UInt128 hash)
    {
        var buckets = Volatile.Read(ref _buckets);
        var pages = Volatile.Read(ref _pages);
        var index = Home(hash, buckets.Length);
        for (var probes = 0; probes < buckets.Length; probes++)
        {
            var value = Volatile.Read(ref buckets[index]);
            if (value == Empty)
            {
                return None;
            }

            if (value != Tombstone)
            {
                var slot = value - 2;
                var page = slot >> PageBits;
                if (page < pages.Length && pages[page].Hash[slot & PageMask] == hash)
                {
                    return slot;
                }
            }

            if (++index == buckets.Length)
            {
                index = 0;
            }
        }

        return None;
    }

    public UInt128 HashOf(int slot) => PageOf(slot).Hash[slot & PageMask];

    public long SizeOf(int slot) => PageOf(slot).Size[slot & PageMask];

    public bool IsUsed(int slot) => (uint)slot < (uint)_slots && PageOf(slot).Queue[slot & PageMask] != 0;

    /// <summary>The open file of a slot, or null while it is idle.</summary>
    public OpenObject? OpenOf(int slot) => Volatile.Read(ref PageOf(slot).Open[slot & PageMask]);

    /// <summary>Installs <paramref name="open"/> if the slot has no open file; returns the one in place.</summary>
    public OpenObject InstallOpen(int slot, OpenObject open) =>
        Interlocked.CompareExchange(ref PageOf(slot).Open[slot & PageMask], open, null) ?? open;

    /// <summary>Clears the slot's open file if it is still <paramref name="open"/>.</summary>
    public bool ClearOpen(int slot, OpenObject open) =>
        Interlocked.CompareExchange(ref PageOf(slot).Open[slot & PageMask], null, open) == open;

    public int AddHit(int slot) => Interlocked.Increment(ref PageOf(slot).Hits[slot & PageMask]);

    /// <summary>The eviction policy's queue for a slot (0 is never used: it marks a free slot).</summary>
    public byte QueueOf(int slot) => PageOf(slot).Queue[slot & PageMask];

    public void SetQueue(int slot, byte queue) => PageOf(slot).Queue[slot & PageMask] = queue;

    public ref byte Frequency(int slot) => ref PageOf(slot).Frequency[slot & PageMask];

    public ref int Previous(int slot) => ref PageOf(slot).Prev[slot & PageMask];

    public ref int Next(int slot) => ref PageOf(slot).Next[slot & PageMask];

    /// <summary>Makes room for <paramref name="count"/> objects at once (a start-up load), so they need no growth steps.</summary>
    public void EnsureCapacity(int count)
    {
        GrowPages((count + PageSize - 1) >> PageBits);
        if (count > _buckets.Length * MaxLoad)
        {
            Rehash(count);
        }
    }

    private void GrowPages(int pages)
    {
        if (pages > _pages.Length)
        {
            var grown = new Page[pages];
            Array.Copy(_pages, grown, _pages.Length);
            for (var i = _pages.Length; i < pages; i++)
            {
                grown[i] = new Page();
            }

            Volatile.Write(ref _pages, grown);
        }
    }

    /// <summary>Adds a record; the hash must not be in the table. The policy's queue is set by the caller.</summary>
    public int Add(UInt128 hash, long size, byte queue)
    {
        if (_count + _tombstones + 1 > _buckets.Length * MaxLoad)
        {
            Rehash(_count + 1);
        }

        var slot = _freeHead;
        if (slot != None)
        {
            _freeHead = Next(slot);
        }
        else
        {
            slot = _slots;
            if ((slot >> PageBits) >= _pages.Length)
            {
                // Pages grow by half again, so a table that grows by single adds reallocates only its page list.
                GrowPages(_pages.Length + Math.Max(1, _pages.Length / 2));
            }

            _slots++;
        }

        var page = PageOf(slot);
        var at = slot & PageMask;
        page.Hash[at] = hash;
        page.Size[at] = size;
        page.Prev[at] = page.Next[at] = None;
        page.Hits[at] = 0;
        page.Frequency[at] = 0;
        page.Open[at] = null;
        Volatile.Write(ref page.Queue[at], queue);

        var buckets = _buckets;
        var index = Home(hash, buckets.Length);
        while (buckets[index] > Tombstone)
        {
            index = index + 1 == buckets.Length ? 0 : index + 1;
        }

        if (buckets[index] == Tombstone)
        {
            _tombstones--;
        }

        Volatile.Write(ref buckets[index], slot + 2);
        _count++;
        return slot;
    }

    /// <summary>Removes a record and frees its slot. Its open file, if any, must already be cleared.</summary>
    public void Remove(int slot)
    {
        var buckets = _buckets;
        var hash = HashOf(slot);
        var index = Home(hash, buckets.Length);
        for (var probes = 0; probes < buckets.Length; probes++)
        {
            var value = buckets[index];
            if (value == Empty)
            {
                break;
            }

            if (value == slot + 2)
            {
                Volatile.Write(ref buckets[index], Tombstone);
                _tombstones++;
                break;
            }

            index = index + 1 == buckets.Length ? 0 : index + 1;
        }

        var page = PageOf(slot);
        var at = slot & PageMask;
        Volatile.Write(ref page.Queue[at], 0);
        page.Hash[at] = default;
        page.Next[at] = _freeHead;
        _freeHead = slot;
        _count--;
    }

    /// <summary>Every used slot, in slot order. Callers hold the owner's lock.</summary>
    public IEnumerable<int> UsedSlots()
    {
        for (var slot = 0; slot < _slots; slot++)
        {
            if (IsUsed(slot))
            {
                yield return slot;
            }
        }
    }

    // Multiply-shift maps the hash onto any table length, so buckets are not rounded up to a power of two.
    // Both halves folded and multiplied (Fibonacci hashing), so hashes that share low or high bits still spread.
    private static int Home(UInt128 hash, int length) =>
        (int)(((((ulong)hash ^ (ulong)(hash >> 64)) * 0x9E3779B97F4A7C15UL) >> 32) * (ulong)length >> 32);

    private Page PageOf(int slot) => Volatile.Read(ref _pages)[slot >> PageBits];

    private void Rehash(int count)
    {
        var length = Math.Max(1024, (int)Math.Min(int.MaxValue - 64, count / LoadAfterResize));
        var buckets = new int[length];
        for (var slot = 0; slot < _slots; slot++)
        {
            if (!IsUsed(slot))
            {
                continue;
            }

            var index = Home(HashOf(slot), length);
            while (buckets[index] != Empty)
            {
                index = index + 1 == length ? 0 : index + 1;
            }

            buckets[index] = slot + 2;
        }

        _tombstones = 0;

        // Readers still on the old array see what it held, which was true a moment ago.
        Volatile.Write(ref _buckets, buckets);
    }

    private sealed class Page
    {
        public const int BytesPerSlot = 16 + 8 + 4 + 4 + 4 + 1 + 1 + 8;

        public readonly UInt128[] Hash = new UInt128[PageSize];
        public readonly long[] Size = new long[PageSize];
        public readonly int[] Prev = new int[PageSize];
        public readonly int[] Next = new int[PageSize];
        public readonly int[] Hits = new int[PageSize];
        public readonly byte[] Queue = new byte[PageSize];
        public readonly byte[] Frequency = new byte[PageSize];
        public readonly OpenObject?[] Open = new OpenObject?[PageSize];
    }
}
