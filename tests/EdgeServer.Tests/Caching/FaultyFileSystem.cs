using Edge.EdgeServer.Caching;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Tests.Caching;

/// <summary>The real file system, except that every operation under a failed directory throws EIO, as a dying disk does.</summary>
internal sealed class FaultyFileSystem : ICacheFileSystem
{
    private volatile string[] _failing = [];

    public int Faults;

    /// <summary>Starts failing every operation under <paramref name="root"/>.</summary>
    public void FailUnder(string root) => _failing = [.. _failing, Path.GetFullPath(root) + Path.DirectorySeparatorChar];

    /// <summary>Every directory works again.</summary>
    public void Heal() => _failing = [];

    public SafeFileHandle OpenRead(string path) => Check(path, () => PhysicalCacheFileSystem.Instance.OpenRead(path));

    public SafeFileHandle CreateNew(string path) => Check(path, () => PhysicalCacheFileSystem.Instance.CreateNew(path));

    public SafeFileHandle OpenWrite(string path) => Check(path, () => PhysicalCacheFileSystem.Instance.OpenWrite(path));

    public void Move(string source, string destination) => Check(destination, () =>
    {
        PhysicalCacheFileSystem.Instance.Move(source, destination);
        return 0;
    });

    public void Delete(string path) => Check(path, () =>
    {
        PhysicalCacheFileSystem.Instance.Delete(path);
        return 0;
    });

    private T Check<T>(string path, Func<T> operation)
    {
        if (_failing.Any(root => path.StartsWith(root, StringComparison.Ordinal)))
        {
            Interlocked.Increment(ref Faults);
            throw new IOException("Input/output error", 5);
        }

        return operation();
    }
}
