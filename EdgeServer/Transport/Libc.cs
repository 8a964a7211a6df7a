using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Transport;

/// <summary>The Linux calls .NET has no API for: sealed in-memory files, mapping them, and <c>sendfile</c> from one to a socket.</summary>
internal static partial class Libc
{
    public const int EAGAIN = 11;
    public const int EINTR = 4;

    private const uint MfdCloexec = 0x1;
    private const uint MfdAllowSealing = 0x2;
    private const int FGetfl = 3;
    private const int FAddSeals = 1033;
    private const int ONonblock = 0x800;
    private const int ProtRead = 0x1;
    private const int MapShared = 0x1;

    // F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE: nothing can change the file's bytes or size again.
    private const int AllSeals = 0x1 | 0x2 | 0x4 | 0x8;

    /// <summary>A new in-memory file that can be sealed; null when the system refuses one (out of descriptors, no memfd).</summary>
    public static SafeFileHandle? CreateMemoryFile(string name)
    {
        var fd = memfd_create(name, MfdCloexec | MfdAllowSealing);
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Seals a file's size and bytes for good.</summary>
    public static bool Seal(SafeFileHandle file) => fcntl(file, FAddSeals, AllSeals) == 0;

    /// <summary>Whether a socket's descriptor is non-blocking (.NET makes it so once it is used asynchronously).</summary>
    public static bool IsNonBlocking(SafeHandle socket)
    {
        var flags = fcntl(socket, FGetfl, 0);
        return flags >= 0 && (flags & ONonblock) != 0;
    }

    /// <summary>
    /// Sends up to <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/> (advanced by
    /// what was sent) to a non-blocking socket; the bytes sent, or -1 with <paramref name="errno"/>.
    /// </summary>
    public static long SendFile(SafeHandle socket, SafeFileHandle file, ref long offset, long count, out int errno)
    {
        var sent = sendfile(socket, file, ref offset, (nuint)count);
        errno = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
        return sent;
    }

    /// <summary>Maps a file read-only and shared; <see cref="nint.Zero"/> when it cannot be.</summary>
    public static nint MapReadOnly(SafeFileHandle file, long length)
    {
        var address = mmap(0, (nuint)length, ProtRead, MapShared, file, 0);
        return address == -1 ? 0 : address;
    }

    public static void Unmap(nint address, long length) => munmap(address, (nuint)length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, SafeFileHandle fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint address, nuint length);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int memfd_create(string name, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(SafeHandle fd, int cmd, int arg);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendfile(SafeHandle outFd, SafeFileHandle inFd, ref long offset, nuint count);
}
