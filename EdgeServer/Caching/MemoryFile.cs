using Edge.EdgeServer.Transport;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// A body the memory tier holds in a sealed in-memory file (<c>memfd</c>) instead of an array, so plain-HTTP hits go
/// to the socket with <c>sendfile</c>, as nginx sends from the page cache, with no copy in user space. Sealed once
/// written: neither this process nor any other can change a byte of it, so the kernel may send its pages after the
/// call returns without any risk of a wrong byte. TLS and HTTP/2 copy from a read-only mapping of the same pages, as
/// they copied from the array (a read system call per block cost them 10 to 20% of their large-segment rate).
/// </summary>
/// <remarks>
/// Readers hold a lease (<see cref="TryAcquire"/>, <see cref="Release"/>): an eviction (<see cref="Dispose"/>)
/// unmaps the file only once the last one lets go. A send queued on a connection holds the descriptor itself
/// (<c>SafeHandle.DangerousAddRef</c>), which stays open until that send is done.
/// </remarks>
internal sealed unsafe class MemoryFile : IDisposable
{
    private readonly nint _mapped;

    // The tier's own reference plus one per lease; the mapping goes and the descriptor is let go at zero.
    private int _references = 1;
    private int _disposed;

    private MemoryFile(SafeFileHandle handle, nint mapped, long length)
    {
        Handle = handle;
        _mapped = mapped;
        Length = length;
    }

    public SafeFileHandle Handle { get; }

    public long Length { get; }

    /// <summary>A sealed file holding <paramref name="body"/>; null when the system cannot make one (the caller keeps the array).</summary>
    public static MemoryFile? Create(ReadOnlySpan<byte> body)
    {
        if (!OperatingSystem.IsLinux() || body.IsEmpty || Libc.CreateMemoryFile("edge-object") is not { } handle)
        {
            return null;
        }

        try
        {
            RandomAccess.Write(handle, body, 0);
            if (Libc.Seal(handle) && Libc.MapReadOnly(handle, body.Length) is var mapped && mapped != 0)
            {
                return new MemoryFile(handle, mapped, body.Length);
            }
        }
        catch (IOException)
        {
            // Out of memory for the file's pages (ENOSPC from tmpfs accounting, a cgroup limit): keep the array.
        }

        handle.Dispose();
        return null;
    }

    /// <summary>Takes a lease; false once the file has been evicted and let go by every reader.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var references = Volatile.Read(ref _references);
            if (references == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, references + 1, references) == references)
            {
                return true;
            }
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Libc.Unmap(_mapped, Length);
            Handle.Dispose();
        }
    }

    /// <summary>Copies bytes from <paramref name="offset"/>; only under a lease.</summary>
    public int Read(Span<byte> destination, long offset)
    {
        var bytes = Bytes(offset, destination.Length);
        bytes.CopyTo(destination);
        return bytes.Length;
    }

    private ReadOnlySpan<byte> Bytes(long offset, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return new ReadOnlySpan<byte>((byte*)_mapped + offset, (int)Math.Clamp(Length - offset, 0, count));
    }

    /// <summary>Evicted: let go of the tier's reference.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Release();
        }
    }
}
