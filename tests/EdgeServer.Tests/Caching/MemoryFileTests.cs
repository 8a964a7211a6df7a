using Edge.EdgeServer.Caching;

namespace Edge.EdgeServer.Tests.Caching;

/// <summary>The memory tier's sealed in-memory files: their bytes never change, and an eviction waits for its readers.</summary>
public sealed class MemoryFileTests
{
    [Fact]
    public void Create_Body_ReadsBackEveryByteAndRefusesAnyChange()
    {
        var body = new byte[300_000];
        new Random(1).NextBytes(body);
        using var file = MemoryFile.Create(body);
        Assert.NotNull(file);

        var back = new byte[body.Length];
        var read = 0;
        while (read < back.Length)
        {
            read += file.Read(back.AsSpan(read), read);
        }

        Assert.Equal(body.Length, file.Length);
        Assert.True(body.AsSpan().SequenceEqual(back));

        // Sealed: no write, no truncation, no growth, by this process or any other.
        Assert.ThrowsAny<Exception>(() => RandomAccess.Write(file.Handle, new byte[] { 1 }, 0));
        Assert.ThrowsAny<Exception>(() => RandomAccess.SetLength(file.Handle, 10));
        Assert.ThrowsAny<Exception>(() => RandomAccess.SetLength(file.Handle, body.Length * 2L));
        Assert.Equal(body.Length, RandomAccess.GetLength(file.Handle));
        Assert.Equal(body[0], Read1(file, 0));
    }

    [Fact]
    public void Dispose_LeaseHeld_ClosedOnlyWhenTheLastLeaseIsReleased()
    {
        var file = MemoryFile.Create([1, 2, 3, 4])!;
        Assert.True(file.TryAcquire());

        file.Dispose();

        Assert.False(file.Handle.IsClosed);
        Assert.Equal(3, Read1(file, 2));
        file.Release();
        Assert.True(file.Handle.IsClosed);
        Assert.False(file.TryAcquire());
    }

    private static byte Read1(MemoryFile file, long offset)
    {
        Span<byte> one = stackalloc byte[1];
        Assert.Equal(1, file.Read(one, offset));
        return one[0];
    }
}
