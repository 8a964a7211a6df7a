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

    /// <summary>Opens under <see cref="HoldUnder"/>'s directory wait for this (a disk that is slow to answer).</summary>
    public ManualResetEventSlim Held { get; } = new(initialState: true);

    private volatile string? _held;

    /// <summary>Every open for reading under <paramref name="root"/> waits until <see cref="Held"/> is set.</summary>
    public void HoldUnder(string root)
    {
        _held = Path.GetFullPath(root) + Path.DirectorySeparatorChar;
        Held.Reset();
    }

    public SafeFileHandle OpenRead(string path)
    {
        if (_held is { } held && path.StartsWith(held, StringComparison.Ordinal))
        {
            Held.Wait(TimeSpan.FromSeconds(60));
        }

        return Check(path, () => PhysicalCacheFileSystem.Instance.OpenRead(path));
    }

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
