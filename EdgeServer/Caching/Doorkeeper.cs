using Edge.EdgeServer.Configuration;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// Disk admission: an object is stored on its second request within the window, so a scan of one-hit objects never
/// displaces a popular title. Two generations of seen hashes, each covering half the window, keep memory bounded.
/// Manifests, init segments and pinned titles are always admitted.
/// </summary>
internal sealed class Doorkeeper
{
    // A generation holds at most this many hashes (about 40 MB); past it, it rotates early.
    private const int MaxGeneration = 1_000_000;

    private readonly Lock _sync = new();
    private readonly TimeSpan _half;
    private readonly TimeProvider _time;
    private readonly DiskCache _cache;
    private HashSet<UInt128> _current = [];
    private HashSet<UInt128> _previous = [];
    private DateTimeOffset _rotateAt;

    public Doorkeeper(IOptions<EdgeOptions> options, TimeProvider time, DiskCache cache)
    {
        _half = options.Value.Admission.DoorkeeperWindow / 2;
        _time = time;
        _cache = cache;
        _rotateAt = time.GetUtcNow() + _half;
    }

    public bool Enabled => _half > TimeSpan.Zero;

    /// <summary>Whether a miss for <paramref name="key"/> may be stored; records the sighting when not.</summary>
    public bool Admit(UInt128 hash, string key)
    {
        if (!Enabled || MemoryTier.IsAlwaysHot(key) || _cache.IsPinned(key))
        {
            return true;
        }

        lock (_sync)
        {
            var now = _time.GetUtcNow();
            if (now >= _rotateAt || _current.Count >= MaxGeneration)
            {
                // Two half-windows without a rotation mean both generations are out of the window.
                _previous = now >= _rotateAt + _half ? [] : _current;
                _current = [];
                _rotateAt = now + _half;
            }

            if (_current.Contains(hash) || _previous.Contains(hash))
            {
                return true;
            }

            _current.Add(hash);
            return false;
        }
    }
}
