using Edge.EdgeServer.Caching.Internal;

namespace Edge.EdgeServer.Tests.Caching;

public class EntryTableTests
{
    [Fact]
    public void Find_AfterAddsAndRemovesAcrossGrowth_FindsExactlyTheLiveRecords()
    {
        var table = new EntryTable();
        var random = new Random(7);
        var live = new Dictionary<UInt128, long>();
        var slots = new Dictionary<UInt128, int>();

        // Enough to grow the buckets several times and the pages past one, with removals leaving tombstones.
        for (var i = 0; i < 200_000; i++)
        {
            var hash = new UInt128((ulong)random.NextInt64(), (ulong)random.NextInt64());
            var slot = table.Add(hash, i, EntryQueue.Held);
            live[hash] = i;
            slots[hash] = slot;
            if (i % 3 == 0)
            {
                var gone = slots.Keys.ElementAt(random.Next(Math.Min(slots.Count, 64)));
                table.Remove(slots[gone]);
                slots.Remove(gone);
                live.Remove(gone);
            }
        }

        Assert.Equal(live.Count, table.Count);
        foreach (var (hash, size) in live)
        {
            var slot = table.Find(hash);
            Assert.NotEqual(EntryTable.None, slot);
            Assert.Equal(size, table.SizeOf(slot));
            Assert.Equal(hash, table.HashOf(slot));
        }

        Assert.Equal(EntryTable.None, table.Find(new UInt128(1, 2)));
    }

    [Fact]
    public void Add_AfterRemove_ReusesTheFreedSlot()
    {
        var table = new EntryTable();
        var first = table.Add(1, 10, EntryQueue.Held);
        table.Add(2, 20, EntryQueue.Held);
        table.Remove(first);

        var again = table.Add(3, 30, EntryQueue.Held);

        Assert.Equal(first, again);
        Assert.Equal(2, table.Slots);
        Assert.Equal(EntryTable.None, table.Find(1));
        Assert.Equal(again, table.Find(3));
        Assert.False(table.IsUsed(5));
    }

    [Fact]
    public void EnsureCapacity_MillionRecords_TakesUnderSixtyFourBytesEach()
    {
        var table = new EntryTable();
        const int count = 1_000_000;
        table.EnsureCapacity(count);
        for (var i = 0; i < count; i++)
        {
            table.Add(new UInt128((ulong)i * 0x9E3779B97F4A7C15UL, (ulong)i), 4096, EntryQueue.Held);
        }

        Assert.Equal(count, table.Count);
        Assert.InRange(table.Bytes / (double)count, 40, 64);
    }
}
