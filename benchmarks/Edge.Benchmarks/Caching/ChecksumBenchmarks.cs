using BenchmarkDotNet.Attributes;
using Edge.EdgeServer.Caching;
using Microsoft.Win32.SafeHandles;

namespace Edge.Benchmarks.Caching;

/// <summary>
/// The cost of checking a 2 MB segment's per-chunk checksums as it is read, against the read alone
/// (the file is in the page cache, as a hot object is).
/// </summary>
[MemoryDiagnoser]
public class ChecksumBenchmarks : IDisposable
{
    private const int Length = 2 * 1024 * 1024;
    private readonly byte[] _buffer = new byte[ObjectFile.ChunkSize];
    private string _path = "";
    private SafeFileHandle _handle = null!;
    private ulong[] _checksums = [];

    [GlobalSetup]
    public void Setup()
    {
        var body = new byte[Length];
        new Random(1).NextBytes(body);
        _path = Path.GetTempFileName();
        File.WriteAllBytes(_path, body);
        _handle = File.OpenHandle(_path);
        _checksums = [.. body.Chunk(ObjectFile.ChunkSize).Select(c => ObjectFile.Checksum(c))];
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _handle.Dispose();
        File.Delete(_path);
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public long Read()
    {
        long total = 0;
        for (long offset = 0; offset < Length; offset += ObjectFile.ChunkSize)
        {
            total += RandomAccess.Read(_handle, _buffer, offset);
        }

        return total;
    }

    [Benchmark]
    public long ReadAndVerify()
    {
        long total = 0;
        var chunk = 0;
        for (long offset = 0; offset < Length; offset += ObjectFile.ChunkSize)
        {
            var read = RandomAccess.Read(_handle, _buffer, offset);
            if (ObjectFile.Checksum(_buffer.AsSpan(0, read)) != _checksums[chunk++])
            {
                throw new InvalidOperationException("corrupt");
            }

            total += read;
        }

        return total;
    }
}
