namespace Edge.EdgeServer.Caching;

/// <summary>
/// Chooses which object leaves one disk when it is full. Objects are slots of that disk's
/// <see cref="Internal.EntryTable"/>, whose queue links and policy bytes are the policy's bookkeeping, so it costs no
/// memory of its own per object. <see cref="OnHit"/> is on the hot path; the other members are called under the
/// disk's lock.
/// </summary>
internal interface IEvictionPolicy
{
    string Name { get; }

    /// <summary>A new object was published; <paramref name="restored"/> is true for objects found on disk at start-up.</summary>
    void OnInserted(int slot, bool restored);

    void OnHit(int slot);

    /// <summary>Removes and returns the next slot to evict, or <see cref="Internal.EntryTable.None"/>.</summary>
    int SelectVictim();

    /// <summary>The object left the cache for another reason (purged, found corrupt, replaced).</summary>
    void OnRemoved(int slot);

    /// <summary>Every slot the policy holds, the next to be evicted first: the order an index snapshot keeps.</summary>
    IEnumerable<int> EvictionOrder();
}
