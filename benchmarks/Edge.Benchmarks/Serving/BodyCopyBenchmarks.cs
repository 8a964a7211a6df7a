using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Serving;
using Microsoft.Win32.SafeHandles;

namespace Edge.Benchmarks.Serving;

/// <summary>
/// The body copy of a hit into a response <see cref="PipeWriter"/>: from disk with every chunk's checksum checked
/// (the disk hit path), and from memory (the memory tier), into a pipe shaped like Kestrel's output (4 KiB
/// segments, 64 KiB pause threshold) that a background reader drains, as the socket does.
/// </summary>
[MemoryDiagnoser]
public class BodyCopyBenchmarks : IDisposable
{
    private string _path = "";
    private SafeFileHandle _handle = null!;
    private ulong[] _checksums = [];
    private byte[] _body = [];
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 65536, resumeWriterThreshold: 32768, minimumSegmentSize: 4096, useSynchronizationContext: false));
    private Task _drain = Task.CompletedTask;

    [Params(65536, 2 * 1024 * 1024)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _body = new byte[Length];
        new Random(1).NextBytes(_body);
        _path = Path.GetTempFileName();
        using (var file = File.OpenHandle(_path, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(file, _body, ObjectFile.HeaderSize);
        }

        _handle = File.OpenHandle(_path);
        _checksums = [.. _body.Chunk(ObjectFile.ChunkSize).Select(c => ObjectFile.Checksum(c))];
        _drain = Task.Run(async () =>
        {
            while (true)
            {
                var result = await _pipe.Reader.ReadAsync();
                _pipe.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        });
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _pipe.Writer.Complete();
        _drain.GetAwaiter().GetResult();
        _handle.Dispose();
        File.Delete(_path);
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public ValueTask<long> FromMemory() => Edge.EdgeServer.Serving.Bodies.MemoryBody.WriteAsync(_pipe.Writer, _body, direct: null, default, CancellationToken.None);

    [Benchmark]
    public ValueTask<long> FromDiskVerified() => Edge.EdgeServer.Serving.Bodies.DiskBody.WriteAsync(_pipe.Writer, _handle, _checksums, Length, 0, Length, null, null, default, CancellationToken.None);

    [Benchmark]
    public ValueTask<long> FromDiskVerifiedRange() => Edge.EdgeServer.Serving.Bodies.DiskBody.WriteAsync(_pipe.Writer, _handle, _checksums, Length, 1000, Length / 2, null, null, default, CancellationToken.None);
}
