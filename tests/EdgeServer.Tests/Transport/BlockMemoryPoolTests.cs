using System.Buffers;
using Edge.EdgeServer.Transport;

namespace Edge.EdgeServer.Tests.Transport;

public sealed class BlockMemoryPoolTests
{
    private const int Block = 16 * 1024;

    [Fact]
    public void Rent_AfterReturn_ReusesTheBlockWithoutAllocating()
    {
        using var pool = new BlockMemoryPool(Block, 1024 * 1024);
        var first = pool.Rent();
        first.Memory.Span[0] = 42;
        first.Dispose();

        // Every core's queue is looked at, so the block is found wherever this thread now runs.
        using var second = pool.Rent();

        Assert.Equal(1, pool.Allocated);
        Assert.Equal(Block, second.Memory.Length);
        Assert.Equal(0, pool.Idle);
    }

    [Fact]
    public void Rent_ManyAtOnce_EachAWholeBlockOfItsOwn()
    {
        using var pool = new BlockMemoryPool(Block, 64L * 1024 * 1024);
        var owners = Enumerable.Range(0, 64).Select(_ => pool.Rent(100)).ToList();

        for (var i = 0; i < owners.Count; i++)
        {
            owners[i].Memory.Span.Fill((byte)i);
        }

        Assert.All(owners, o => Assert.Equal(Block, o.Memory.Length));
        for (var i = 0; i < owners.Count; i++)
        {
            Assert.True(owners[i].Memory.Span.IndexOfAnyExcept((byte)i) < 0, $"block {i} was written by another owner");
        }

        owners.ForEach(o => o.Dispose());
        Assert.Equal(64, pool.Idle);
    }

    [Fact]
    public void Dispose_Twice_BlockPooledOnce()
    {
        using var pool = new BlockMemoryPool(Block, 1024 * 1024);
        var owner = pool.Rent();
        owner.Dispose();
        owner.Dispose();

        using var a = pool.Rent();
        using var b = pool.Rent();

        Assert.False(a.Memory.Span.Overlaps(b.Memory.Span));
        Assert.Equal(2, pool.Allocated);
    }

    [Fact]
    public void Return_PastTheIdleBudget_BlocksLeftToTheCollector()
    {
        using var pool = new BlockMemoryPool(Block, 4L * Block);
        var owners = Enumerable.Range(0, 32).Select(_ => pool.Rent()).ToList();

        owners.ForEach(o => o.Dispose());

        // The budget is split per core, at least one block each.
        Assert.InRange(pool.Idle, 1, Math.Max(4, Environment.ProcessorCount));
    }

    [Fact]
    public void Rent_LargerThanABlock_GetsABufferOfThatSize()
    {
        using var pool = new BlockMemoryPool(Block, 1024 * 1024);

        using var big = pool.Rent(Block * 3);

        Assert.True(big.Memory.Length >= Block * 3);
        Assert.Equal(0, pool.Allocated);
    }

    [Fact]
    public void Rent_AfterDispose_Throws()
    {
        var pool = new BlockMemoryPool(Block, 1024 * 1024);
        var owner = pool.Rent();
        pool.Dispose();

        owner.Dispose();

        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
        Assert.Equal(0, pool.Idle);
    }
}
