using Edge.EdgeServer.Transport;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// A body the memory tier holds in a sealed in-memory file (<c>memfd</c>) instead of an array, so plain-HTTP hits go
/// to the socket with <c>sendfile</c>, as nginx sends from the page cache, with no copy in user space. Sealed once
/// written: neither this process nor any other can change a byte of it, so the kernel may send its pages after the
/// call returns without any risk of a wrong byte.
/// </summary>
/// <remarks>
/// Each reader holds a lease (<see cref="TryAcquire"/>, <see cref="Release"/>) over the descriptor's own reference
/// count: an eviction (<see cref="Dispose"/>) closes it only once the last request or queued send lets go.
/// </remarks>
internal sealed class MemoryFile : IDisposable
{
    private MemoryFile(SafeFileHandle handle, long length)
    {
        Handle = handle;
        Length = length;
    }

    public SafeFileHandle Handle { get; }

    public long Length { get; }

    /// <summary>A sealed file holding <paramref name="body"/>; null when the system cannot make one (the caller keeps the array).</summary>
    public static MemoryFile? Create(ReadOnlySpan<byte> body)
    {
        if (!OperatingSystem.IsLinux() || Libc.CreateMemoryFile("edge-object") is not { } handle)
        {
            return null;
        }

        try
        {
            RandomAccess.Write(handle, body, 0);
            if (Libc.Seal(handle))
            {
                return new MemoryFile(handle, body.Length);
            }
        }
        catch (IOException)
        {
            // Out of memory for the file's pages (ENOSPC from tmpfs accounting, a cgroup limit): keep the array.
        }

        handle.Dispose();
        return null;
    }

    /// <summary>Takes a lease; false once the file has been evicted.</summary>
    public bool TryAcquire()
    {
        var added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
        }

        return added;
    }

    public void Release() => Handle.DangerousRelease();

    /// <summary>Reads bytes from <paramref name="offset"/> (a copy, for TLS and HTTP/2).</summary>
    public int Read(Span<byte> destination, long offset) => RandomAccess.Read(Handle, destination, offset);

    public void Dispose() => Handle.Dispose();
}
