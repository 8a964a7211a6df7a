using Edge.EdgeServer.Caching;
using Microsoft.AspNetCore.Http;

namespace Edge.EdgeServer.Serving;

internal enum LookupKind : byte
{
    /// <summary>Nothing stored for the request: it is filled under <see cref="Lookup.Key"/>.</summary>
    Miss,

    /// <summary>A fresh copy in the memory tier.</summary>
    Memory,

    /// <summary>A copy on disk, fresh or not (<see cref="Lookup.State"/>), held by <see cref="Lookup.Lease"/>.</summary>
    Stored,
}

/// <summary>What the cache holds for one request; disposing it lets go of a disk copy.</summary>
internal readonly struct Lookup(LookupKind kind, string key, UInt128 hash, MemoryObject? memory, CacheLease lease, FreshnessState state, bool promoted) : IDisposable
{
    public LookupKind Kind { get; } = kind;

    /// <summary>The key the response is (or would be) stored under: the object's, or its variant's.</summary>
    public string Key { get; } = key;

    public UInt128 Hash { get; } = hash;

    public MemoryObject? Memory { get; } = memory;

    public CacheLease Lease { get; } = lease;

    public FreshnessState State { get; } = state;

    /// <summary>The copy was moved to the memory tier by this request.</summary>
    public bool Promoted { get; } = promoted;

    public void Dispose()
    {
        if (Kind == LookupKind.Stored)
        {
            Lease.Dispose();
        }
    }
}

/// <summary>
/// The cache lookup step: the memory tier, then the disks, through an object's variant list when its responses vary
/// (RFC 9111 §4.1), promoting popular objects to memory on the way. It reads; it never fills or writes a response.
/// </summary>
internal sealed class CacheLookup(DiskCache cache, MemoryTier memory, TimeProvider time)
{
    public Lookup Find(HttpRequest request, string key, UInt128 hash)
    {
        // The memory tier needs no disk I/O at all; anything but a fresh copy goes the disk path (revalidation lives there).
        if (TryMemory(key, hash, out var held))
        {
            return held;
        }

        if (!cache.TryAcquire(hash, key, out var lease))
        {
            return new Lookup(LookupKind.Miss, key, hash, null, default, default, false);
        }

        if (lease.Metadata.Vary is { } vary)
        {
            // The object varies: its variant list names the request fields that pick the stored variant.
            lease.Dispose();
            key = VariantKey(request, key, vary);
            hash = CacheKey.Hash(key);
            if (TryMemory(key, hash, out held))
            {
                return held;
            }

            if (!cache.TryAcquire(hash, key, out lease))
            {
                return new Lookup(LookupKind.Miss, key, hash, null, default, default, false);
            }
        }

        var state = Freshness.Evaluate(lease.Metadata, time.GetUtcNow());
        if (state.Fresh && memory.ShouldPromote(key, lease.Metadata.ContentLength, lease.Hits) && memory.Promote(hash, key) is { } promoted)
        {
            lease.Dispose();
            return new Lookup(LookupKind.Memory, key, hash, promoted, default, state, true);
        }

        return new Lookup(LookupKind.Stored, key, hash, null, lease, state, false);
    }

    /// <summary>The key of the variant <paramref name="request"/> selects (its own method: the lambda's closure is made only here).</summary>
    public static string VariantKey(HttpRequest request, string key, string[] vary) =>
        Variants.KeyFor(key, vary, name => request.Headers.TryGetValue(name, out var values) ? values.ToString() : null);

    private bool TryMemory(string key, UInt128 hash, out Lookup found)
    {
        if (memory.TryGet(key, out var held) && Freshness.Evaluate(held!.Metadata, time.GetUtcNow()) is { Fresh: true } state)
        {
            found = new Lookup(LookupKind.Memory, key, hash, held, default, state, false);
            return true;
        }

        found = default;
        return false;
    }
}
