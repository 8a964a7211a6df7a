using System.Globalization;
using System.Net.Sockets;

namespace Edge.EdgeServer.Caching;

/// <summary>The process's file-descriptor limit, and how it is shared between cached files and client connections.</summary>
internal static class FileLimits
{
    /// <summary>Descriptors kept free for the runtime, logs, the origin's connections and fills' temp files.</summary>
    public const int Reserve = 256;

    /// <summary>The most handles the open-file cache keeps when <c>Edge:MaxOpenFiles</c> is 0 (auto).</summary>
    public const int AutoMaxOpenFiles = 65_536;

    /// <summary>EMFILE (24) or ENFILE (23): the process or the system is out of descriptors.</summary>
    public static bool IsOutOfDescriptors(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is IOException { HResult: 24 or 23 } || e is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The soft <c>RLIMIT_NOFILE</c> (from <c>/proc/self/limits</c> on Linux); 1024 where it cannot be read.</summary>
    public static long SoftLimit()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return fields[0] == "unlimited" ? long.MaxValue : long.Parse(fields[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
        }

        return 1024;
    }

    /// <summary>
    /// Handles the open-file cache may keep: <paramref name="configured"/>, or with 0 half the descriptors the
    /// process may open (at most <see cref="AutoMaxOpenFiles"/>), the other half left to sockets.
    /// </summary>
    public static int MaxOpenFiles(int configured, long softLimit) =>
        configured > 0 ? configured : (int)Math.Clamp((softLimit - Reserve) / 2, 16, AutoMaxOpenFiles);

    /// <summary>Client connections that fit beside the open-file cache and the reserve, at most <paramref name="configured"/>.</summary>
    public static long MaxConnections(long configured, int maxOpenFiles, long softLimit) =>
        Math.Clamp(softLimit - maxOpenFiles - Reserve, 64, Math.Max(configured, 64));
}
