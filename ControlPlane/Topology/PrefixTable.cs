using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Edge.ControlPlane.Topology;

/// <summary>
/// Longest-prefix match of client addresses to a value. IPv4 is held as IPv4-mapped IPv6, so one table
/// serves both families. One hash table per prefix length in use: a lookup probes at most as many tables
/// as there are distinct lengths (a handful in practice), longest first.
/// </summary>
internal sealed class PrefixTable<T>
{
    private readonly Dictionary<UInt128, T>?[] _byLength = new Dictionary<UInt128, T>?[129];
    private int[] _lengths = [];

    public int Count { get; private set; }

    /// <summary>Adds a prefix; false if exactly this prefix is already present (the existing value is returned).</summary>
    public bool TryAdd(IPNetwork network, T value, out T existing)
    {
        var (key, length) = Normalize(network);
        var table = _byLength[length] ??= [];
        if (table.TryGetValue(key, out existing!))
        {
            return false;
        }

        table.Add(key, value);
        if (table.Count == 1)
        {
            _lengths = [.. _lengths.Append(length).OrderDescending()];
        }

        Count++;
        return true;
    }

    /// <summary>The value of the longest prefix holding <paramref name="address"/>.</summary>
    public bool TryMatch(IPAddress address, out T value, out int prefixLength)
    {
        var key = ToKey(address);
        foreach (var length in _lengths)
        {
            if (_byLength[length]!.TryGetValue(key & Mask(length), out value!))
            {
                prefixLength = address.AddressFamily == AddressFamily.InterNetwork ? length - 96 : length;
                return true;
            }
        }

        value = default!;
        prefixLength = 0;
        return false;
    }

    private static (UInt128 Key, int Length) Normalize(IPNetwork network)
    {
        var length = network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? network.PrefixLength + 96 : network.PrefixLength;
        return (ToKey(network.BaseAddress) & Mask(length), length);
    }

    private static UInt128 Mask(int length) => length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);

    private static UInt128 ToKey(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return address.AddressFamily == AddressFamily.InterNetwork
            ? ((UInt128)0xFFFF << 32) | BinaryPrimitives.ReadUInt32BigEndian(bytes)
            : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }
}
