namespace Edge.EdgeServer.Caching;

/// <summary>
/// Keeps at most a fixed number of cached objects' files open (like nginx's <c>open_file_cache max=</c>), so the
/// number of distinct objects served never decides how many descriptors the process holds. Objects hit since the
/// last sweep get a second chance (CLOCK); an idle one has its handle closed, and its next hit opens it again.
/// Readers hold a reference on the handle, so closing it never breaks a response in flight.
/// </summary>
internal sealed class OpenFileCache(int capacity)
{
    private readonly Lock _sync = new();

    // A ring through the objects' own links: _hand is the oldest, the newest is just before it.
    private OpenObject? _hand;
    private int _count;
    private long _closed;

    public int Capacity { get; } = capacity;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Idle handles closed to stay within the capacity or to free descriptors.</summary>
    public long Closed => Interlocked.Read(ref _closed);

    /// <summary>Records a handle just opened, closing idle ones beyond the capacity.</summary>
    public void Opened(OpenObject open)
    {
        List<OpenObject>? idle = null;
        lock (_sync)
        {
            if (!open.InClock)
            {
                Insert(open);
            }

            while (_count > Capacity && TakeIdleLocked(open) is { } victim)
            {
                (idle ??= []).Add(victim);
            }
        }

        Close(idle);
    }

    /// <summary>Forgets an object whose handle its disk closed (removal, a failed disk).</summary>
    public void Forget(OpenObject open)
    {
        lock (_sync)
        {
            if (open.InClock)
            {
                Unlink(open);
            }
        }
    }

    /// <summary>Closes idle handles, a quarter of those open and at least one, when the process is out of descriptors.</summary>
    public int CloseIdle()
    {
        List<OpenObject>? idle = null;
        lock (_sync)
        {
            var want = Math.Max(1, _count / 4);
            while ((idle?.Count ?? 0) < want && TakeIdleLocked(null) is { } victim)
            {
                (idle ??= []).Add(victim);
            }
        }

        Close(idle);
        return idle?.Count ?? 0;
    }

    // The oldest object not hit since the last sweep; hit ones are passed over with their bit cleared.
    private OpenObject? TakeIdleLocked(OpenObject? keep)
    {
        for (var turns = _count * 2; turns > 0 && _hand is { } candidate; turns--)
        {
            _hand = candidate.ClockNext;
            if (candidate != keep && !candidate.TakeReferenced())
            {
                Unlink(candidate);
                return candidate;
            }
        }

        return null;
    }

    // Inserted just behind the hand: the newest, the last the hand reaches.
    private void Insert(OpenObject open)
    {
        if (_hand is null)
        {
            open.ClockNext = open.ClockPrevious = open;
            _hand = open;
        }
        else
        {
            var newest = _hand.ClockPrevious!;
            open.ClockPrevious = newest;
            open.ClockNext = _hand;
            newest.ClockNext = open;
            _hand.ClockPrevious = open;
        }

        open.InClock = true;
        _count++;
    }

    private void Unlink(OpenObject open)
    {
        if (open.ClockNext == open)
        {
            _hand = null;
        }
        else
        {
            open.ClockPrevious!.ClockNext = open.ClockNext;
            open.ClockNext!.ClockPrevious = open.ClockPrevious;
            if (_hand == open)
            {
                _hand = open.ClockNext;
            }
        }

        open.ClockNext = open.ClockPrevious = null;
        open.InClock = false;
        _count--;
    }

    private void Close(List<OpenObject>? idle)
    {
        foreach (var open in idle ?? [])
        {
            open.Disk.CloseIdle(open);
            Interlocked.Increment(ref _closed);
        }
    }
}
