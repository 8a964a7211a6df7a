namespace Edge.EdgeServer.Caching.Internal;

/// <summary>
/// A doubly linked FIFO of slots through the links each record of the <see cref="EntryTable"/> carries, so being in an
/// eviction queue costs an object two ints and no node object. A slot is in at most one queue at a time.
/// </summary>
internal sealed class EntryQueue(EntryTable table, byte id)
{
    /// <summary>The queue byte of a slot that is in no queue (a victim being removed, a pinned object put aside).</summary>
    public const byte Held = 255;

    private int _first = EntryTable.None;
    private int _last = EntryTable.None;

    public int Count { get; private set; }

    public bool Contains(int slot) => table.QueueOf(slot) == id;

    public void AddLast(int slot)
    {
        table.SetQueue(slot, id);
        table.Previous(slot) = _last;
        table.Next(slot) = EntryTable.None;
        if (_last == EntryTable.None)
        {
            _first = slot;
        }
        else
        {
            table.Next(_last) = slot;
        }

        _last = slot;
        Count++;
    }

    public void Remove(int slot)
    {
        if (!Contains(slot))
        {
            return;
        }

        var previous = table.Previous(slot);
        var next = table.Next(slot);
        if (previous == EntryTable.None)
        {
            _first = next;
        }
        else
        {
            table.Next(previous) = next;
        }

        if (next == EntryTable.None)
        {
            _last = previous;
        }
        else
        {
            table.Previous(next) = previous;
        }

        table.SetQueue(slot, Held);
        table.Previous(slot) = table.Next(slot) = EntryTable.None;
        Count--;
    }

    public int RemoveFirst()
    {
        var first = _first;
        if (first != EntryTable.None)
        {
            Remove(first);
        }

        return first;
    }

    /// <summary>The slots from first to last; the caller holds the lock that guards the queue.</summary>
    public IEnumerable<int> InOrder()
    {
        for (var slot = _first; slot != EntryTable.None; slot = table.Next(slot))
        {
            yield return slot;
        }
    }
}
