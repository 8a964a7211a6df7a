using System.Collections.Concurrent;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// Bounds how many variants of one object are stored (<c>Edge:MaxVariants</c>), so a response that varies by a
/// field with endless values (<c>User-Agent</c>, <c>Cookie</c>) cannot fill a disk with copies of one object.
/// </summary>
internal sealed class VariantBudget(int maxVariants)
{
    // Objects tracked at most (a few MB however many variants an origin makes); past this the table starts again,
    // which at worst lets a few more variants in.
    private const int MaxObjects = 10_000;

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _objects = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="variantKey"/> of <paramref name="key"/> may be stored: it is known, or there is room.</summary>
    public bool TryAdd(string key, string variantKey)
    {
        if (_objects.Count >= MaxObjects)
        {
            _objects.Clear();
        }

        var variants = _objects.GetOrAdd(key, static _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal));
        if (variants.ContainsKey(variantKey))
        {
            return true;
        }

        if (variants.Count >= maxVariants)
        {
            return false;
        }

        return variants.TryAdd(variantKey, 0) || variants.ContainsKey(variantKey);
    }
}
