using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Edge.ControlPlane.Steering;

/// <summary>
/// Hashes that every control-plane replica computes alike (string.GetHashCode is randomised per process),
/// so that any replica sends a title to the same nodes.
/// </summary>
internal static class SteeringHash
{
    private const int StackLimit = 512;

    public static ulong Of(ReadOnlySpan<char> text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var buffer = max <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, buffer);
            return XxHash3.HashToUInt64(buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public static ulong Of(System.Net.IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return XxHash3.HashToUInt64(bytes[..written]);
    }

    /// <summary>Combines two hashes into one well-mixed value (SplitMix64's finaliser).</summary>
    public static ulong Mix(ulong a, ulong b)
    {
        var z = a ^ (b * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Maps a hash to a double strictly between 0 and 1.</summary>
    public static double Unit(ulong hash) => ((hash >> 11) + 0.5) * (1.0 / (1UL << 53));
}
