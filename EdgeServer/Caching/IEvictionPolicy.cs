namespace Edge.EdgeServer.Caching;

/// <summary>
/// Chooses which object leaves the disk cache when it is full. <see cref="OnHit"/> is on the hot
/// path and must not lock; the other members are called under the cache's lock.
/// </summary>
internal interface IEvictionPolicy
{
    string Name { get; }

    /// <summary>A new object was published; <paramref name="restored"/> is true for objects found on disk at start-up.</summary>
    void OnInserted(CacheEntry entry, bool restored);

    void OnHit(CacheEntry entry);

    /// <summary>Removes and returns the next object to evict, or null when the policy holds none.</summary>
    CacheEntry? SelectVictim();

    /// <summary>The object left the cache for another reason (purged, found corrupt).</summary>
    void OnRemoved(CacheEntry entry);
}
