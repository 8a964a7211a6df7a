using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// Maps a normalised request path to the 128-bit name of its object on disk. File names never
/// derive from the URL text itself, so no path can name a file outside the cache. XXH3-128 is not
/// collision-resistant against a crafted pair, but every object's header holds its key and is checked
/// on open, so a collision is a miss, never another object's bytes.
/// </summary>
internal static class CacheKey
{
    private const int StackLimit = 512;

    public static UInt128 Hash(string key)
    {
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = null;
        var bytes = max <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(key, bytes);
            return XxHash128.HashToUInt128(bytes[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public static string FileName(UInt128 hash) => hash.ToString("x32", CultureInfo.InvariantCulture);

    public static bool TryParseFileName(ReadOnlySpan<char> name, out UInt128 hash)
    {
        hash = default;
        return name.Length == 32 && UInt128.TryParse(name, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out hash);
    }
}
