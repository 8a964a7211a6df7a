namespace Edge.EdgeServer.Caching.Internal;

/// <summary>
/// A doubly linked FIFO of cache entries through links the entries carry themselves, so being in an eviction queue
/// costs an entry two references and no node object. An entry is in at most one queue at a time.
/// </summary>
internal sealed class EntryQueue
{
    private CacheEntry? _first;
    private CacheEntry? _last;

    public int Count { get; private set; }

    public CacheEntry? First => _first;

    public bool Contains(CacheEntry entry) => entry.PolicyQueueRef == this;

    public void AddLast(CacheEntry entry)
    {
        entry.PolicyQueueRef = this;
        entry.PolicyPrevious = _last;
        entry.PolicyNext = null;
        if (_last is null)
        {
            _first = entry;
        }
        else
        {
            _last.PolicyNext = entry;
        }

        _last = entry;
        Count++;
    }

    public void Remove(CacheEntry entry)
    {
        if (entry.PolicyQueueRef != this)
        {
            return;
        }

        if (entry.PolicyPrevious is null)
        {
            _first = entry.PolicyNext;
        }
        else
        {
            entry.PolicyPrevious.PolicyNext = entry.PolicyNext;
        }

        if (entry.PolicyNext is null)
        {
            _last = entry.PolicyPrevious;
        }
        else
        {
            entry.PolicyNext.PolicyPrevious = entry.PolicyPrevious;
        }

        entry.PolicyQueueRef = null;
        entry.PolicyPrevious = entry.PolicyNext = null;
        Count--;
    }

    public CacheEntry? RemoveFirst()
    {
        var first = _first;
        if (first is not null)
        {
            Remove(first);
        }

        return first;
    }
}
