namespace Edge.EdgeServer.Caching;

/// <summary>
/// Keeps at most a fixed number of cached objects' files open (like nginx's <c>open_file_cache max=</c>), so the
/// number of distinct objects served never decides how many descriptors the process holds. Entries hit since the
/// last sweep get a second chance (CLOCK); an idle one has its handle closed, and its next hit opens it again.
/// Readers hold a reference on the handle, so closing it never breaks a response in flight.
/// </summary>
internal sealed class OpenFileCache(int capacity)
{
    private readonly LinkedList<CacheEntry> _open = new();
    private long _closed;

    public int Capacity { get; } = capacity;

    public int Count
    {
        get
        {
            lock (_open)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Idle handles closed to stay within the capacity or to free descriptors.</summary>
    public long Closed => Interlocked.Read(ref _closed);

    /// <summary>Records a handle just opened for <paramref name="entry"/>, closing idle ones beyond the capacity.</summary>
    public void Opened(CacheEntry entry)
    {
        List<CacheEntry>? idle = null;
        lock (_open)
        {
            if (entry.OpenNode.List is null)
            {
                _open.AddFirst(entry.OpenNode);
            }

            while (_open.Count > Capacity && TakeIdleLocked(entry) is { } victim)
            {
                (idle ??= []).Add(victim);
            }
        }

        Close(idle);
    }

    /// <summary>Forgets an entry whose handle was closed by the entry itself (removal).</summary>
    public void Forget(CacheEntry entry)
    {
        lock (_open)
        {
            if (entry.OpenNode.List is not null)
            {
                _open.Remove(entry.OpenNode);
            }
        }
    }

    /// <summary>Closes idle handles, a quarter of those open and at least one, when the process is out of descriptors.</summary>
    public int CloseIdle()
    {
        List<CacheEntry>? idle = null;
        lock (_open)
        {
            var want = Math.Max(1, _open.Count / 4);
            while ((idle?.Count ?? 0) < want && TakeIdleLocked(null) is { } victim)
            {
                (idle ??= []).Add(victim);
            }
        }

        Close(idle);
        return idle?.Count ?? 0;
    }

    // The oldest entry not hit since the last sweep; hit ones move to the front with their bit cleared.
    private CacheEntry? TakeIdleLocked(CacheEntry? keep)
    {
        for (var turns = _open.Count * 2; turns > 0 && _open.Last is { } last; turns--)
        {
            var candidate = last.Value;
            _open.RemoveLast();
            if (candidate != keep && !candidate.TakeReferenced())
            {
                return candidate;
            }

            _open.AddFirst(last);
        }

        return null;
    }

    private void Close(List<CacheEntry>? idle)
    {
        foreach (var entry in idle ?? [])
        {
            entry.CloseHandle();
            Interlocked.Increment(ref _closed);
        }
    }
}
