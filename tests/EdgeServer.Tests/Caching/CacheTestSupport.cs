using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Tests.Caching;

internal static class CacheTestSupport
{
    public static DiskCache CreateCache(string directory, long maxBytes, string policy = EvictionPolicies.S3Fifo, int maxOpenFiles = 0)
    {
        var options = Options.Create(new EdgeOptions { CacheDirectory = directory, OriginUrl = "http://127.0.0.1:1", CacheMaxBytes = maxBytes, EvictionPolicy = policy, MaxOpenFiles = maxOpenFiles });
        return new DiskCache(options, NullLogger<DiskCache>.Instance);
    }

    /// <summary>A cache over several disks, each directory with its budget.</summary>
    public static DiskCache CreateCache(IReadOnlyList<(string Path, long MaxBytes)> disks, ICacheFileSystem? fileSystem = null, bool waitForEveryDisk = true)
    {
        var options = new EdgeOptions { OriginUrl = "http://127.0.0.1:1" };
        foreach (var (path, max) in disks)
        {
            options.CacheDirectories.Add(new CacheDirectoryOptions { Path = path, MaxBytes = max });
        }

        var cache = new DiskCache(Options.Create(options), NullLogger<DiskCache>.Instance, fileSystem: fileSystem);

        // The node starts once one disk is in service; most tests look at all of them.
        if (waitForEveryDisk)
        {
            cache.Loaded.GetAwaiter().GetResult();
        }

        return cache;
    }

    /// <summary>Stores an object the way a fill does: reserve, write to a temporary file, publish.</summary>
    public static bool Store(DiskCache cache, string key, byte[] body)
    {
        var size = ObjectFile.SizeOnDisk(body.Length);
        using var temp = cache.CreateTemp(CacheKey.Hash(key));
        if (!temp.TryReserve(size))
        {
            return false;
        }

        RandomAccess.Write(temp.Handle, body, ObjectFile.HeaderSize);
        return cache.Publish(temp, Metadata(key, body.Length), size);
    }

    public static ObjectMetadata Metadata(string key, long length) => new()
    {
        Key = key,
        ContentLength = length,
        ContentType = "video/iso.segment",
        ETag = "\"e\"",
        LastModified = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        StoredAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
    };

    public static bool IsCached(DiskCache cache, string key)
    {
        if (!cache.TryAcquire(CacheKey.Hash(key), key, out var lease))
        {
            return false;
        }

        lease.Dispose();
        return true;
    }

    /// <summary>The file an object is stored in under a node's cache directory.</summary>
    public static string ObjectFileOf(string cacheDirectory, string key)
    {
        var name = CacheKey.FileName(CacheKey.Hash(key));
        return Path.Combine(cacheDirectory, "objects", name[..2], name);
    }

    /// <summary>Random bytes, the same for the same length.</summary>
    public static byte[] RandomBody(int length)
    {
        var body = new byte[length];
        new Random(length).NextBytes(body);
        return body;
    }
}
