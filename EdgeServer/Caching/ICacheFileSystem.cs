using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Caching;

/// <summary>
/// The file operations the disk cache opens, creates, renames and deletes object files with: the place a failing disk
/// shows itself, and where tests inject its errors.
/// </summary>
internal interface ICacheFileSystem
{
    SafeFileHandle OpenRead(string path);

    /// <summary>Creates a file that must not exist, for reading and writing.</summary>
    SafeFileHandle CreateNew(string path);

    SafeFileHandle OpenWrite(string path);

    void Move(string source, string destination);

    void Delete(string path);
}

/// <summary>The real file system.</summary>
internal sealed class PhysicalCacheFileSystem : ICacheFileSystem
{
    public static readonly PhysicalCacheFileSystem Instance = new();

    public SafeFileHandle OpenRead(string path) => File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

    public SafeFileHandle CreateNew(string path) => File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);

    public SafeFileHandle OpenWrite(string path) => File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);

    public void Move(string source, string destination) => File.Move(source, destination, overwrite: true);

    public void Delete(string path) => File.Delete(path);
}
