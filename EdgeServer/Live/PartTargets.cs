using System.Buffers.Text;
using System.Collections.Concurrent;

namespace Edge.EdgeServer.Live;

/// <summary>
/// The part target of each low-latency HLS playlist the node has filled, by the folder it is in: a 404 for a part
/// there that does not exist yet is then kept no longer than one part, because the part is usually there a moment later.
/// </summary>
internal sealed class PartTargets(TimeProvider time)
{
    /// <summary>Folders remembered at most; past it the oldest half is forgotten (they fall back to Edge:NegativeTtl).</summary>
    public const int Capacity = 4096;

    /// <summary>A folder whose playlist has not been filled for this long is live no more.</summary>
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(5);

    private static ReadOnlySpan<byte> Tag => "#EXT-X-PART-INF:PART-TARGET="u8;

    private readonly ConcurrentDictionary<string, (double Seconds, DateTimeOffset Seen)> _folders = new(StringComparer.Ordinal);

    public int Count => _folders.Count;

    /// <summary>Notes the part target if <paramref name="playlistStart"/> (the first bytes of an HLS playlist) states one.</summary>
    public void Observe(string path, ReadOnlySpan<byte> playlistStart)
    {
        var at = playlistStart.IndexOf(Tag);
        if (at < 0 || Folder(path) is not { } folder)
        {
            return;
        }

        var value = playlistStart[(at + Tag.Length)..];
        if (!Utf8Parser.TryParse(value, out double seconds, out _) || !(seconds is > 0 and <= 10))
        {
            return;
        }

        if (_folders.Count >= Capacity && !_folders.ContainsKey(folder))
        {
            foreach (var old in _folders.OrderBy(f => f.Value.Seen).Take(Capacity / 2).ToList())
            {
                _folders.TryRemove(old);
            }
        }

        _folders[folder] = (seconds, time.GetUtcNow());
    }

    /// <summary>The part target of the live playlist in <paramref name="path"/>'s folder, or null.</summary>
    public TimeSpan? For(string path)
    {
        if (Folder(path) is not { } folder || !_folders.TryGetValue(folder, out var entry))
        {
            return null;
        }

        if (time.GetUtcNow() - entry.Seen > Expiry)
        {
            _folders.TryRemove(new KeyValuePair<string, (double, DateTimeOffset)>(folder, entry));
            return null;
        }

        return TimeSpan.FromSeconds(entry.Seconds);
    }

    private static string? Folder(string path)
    {
        var query = path.IndexOf('?', StringComparison.Ordinal);
        var slash = (query < 0 ? path : path[..query]).LastIndexOf('/');
        return slash <= 0 ? null : path[..slash];
    }
}
