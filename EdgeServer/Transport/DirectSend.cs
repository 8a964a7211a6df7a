using System.Runtime.InteropServices;

namespace Edge.EdgeServer.Transport;

/// <summary>
/// Lets a response hand bytes it already holds (the memory tier's) to the socket as they are, instead of copying them
/// into Kestrel's output buffers first. Set on plain-HTTP connections by <see cref="DirectSendConnection"/>.
/// </summary>
/// <remarks>
/// Kestrel must still count the body's bytes, so they go through the response's <c>BodyWriter</c> as a stand-in:
/// <see cref="Arm"/>, then <c>GetMemory</c>; if the memory returned <see cref="DirectSend.IsStandIn"/>, <c>Advance</c>
/// sends the armed bytes in its place. Any other memory (TLS, HTTP/2, a buffering writer) is an ordinary buffer, to be
/// filled and advanced as usual after <see cref="Disarm"/>.
/// </remarks>
internal interface IDirectSendFeature
{
    /// <summary>Makes the next <c>GetMemory</c> on the connection a stand-in for these bytes (at most <see cref="DirectSend.MaxBytes"/>).</summary>
    /// <param name="bytes">Bytes that stay as they are until sent (the memory tier's).</param>
    /// <param name="pooled">
    /// The <see cref="System.Buffers.ArrayPool{T}.Shared"/> array that holds <paramref name="bytes"/>, if any: once the
    /// stand-in is advanced, the connection owns it and returns it to the pool when the bytes have been sent. Until
    /// then, and after <see cref="Disarm"/>, it stays the caller's.
    /// </param>
    void Arm(ReadOnlyMemory<byte> bytes, byte[]? pooled = null);

    /// <summary>Cancels <see cref="Arm"/> when the stand-in was not handed out.</summary>
    void Disarm();
}

/// <summary>The stand-in buffer of <see cref="IDirectSendFeature"/>.</summary>
internal static class DirectSend
{
    /// <summary>Most bytes one stand-in stands for.</summary>
    public const int MaxBytes = 256 * 1024;

    // Handed out for every connection at once and never read or written: its contents do not matter.
    private static readonly byte[] s_standIn = GC.AllocateUninitializedArray<byte>(MaxBytes);

    public static Memory<byte> StandIn(int length) => s_standIn.AsMemory(0, Math.Min(length, MaxBytes));

    public static bool IsStandIn(Memory<byte> memory) =>
        MemoryMarshal.TryGetArray<byte>(memory, out var segment) && ReferenceEquals(segment.Array, s_standIn);
}
