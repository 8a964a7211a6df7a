using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Edge.EdgeServer.Transport;

/// <summary>
/// Kestrel's buffers for sockets, TLS and response bodies: pinned blocks of one size, kept per core. Kestrel's own
/// pool hands out 4 KiB blocks from one shared queue with three shared counters, so a 2 MB segment takes 512 rents
/// and returns that every core contends on; larger blocks and a queue per core make that a few uncontended ones.
/// </summary>
internal sealed class BlockMemoryPool : MemoryPool<byte>
{
    private readonly Shard[] _shards;
    private readonly int _blockSize;
    private readonly int _maxIdlePerShard;
    private readonly Action? _onAllocated;
    private long _allocated;
    private volatile bool _disposed;

    /// <param name="blockSize">Bytes in each block.</param>
    /// <param name="maxIdleBytes">Most bytes of returned blocks kept for reuse (over all cores); more are left to the GC.</param>
    /// <param name="onAllocated">Called for each new block (rare: blocks are reused).</param>
    public BlockMemoryPool(int blockSize, long maxIdleBytes, Action? onAllocated = null)
    {
        _onAllocated = onAllocated;
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 4096);
        _blockSize = blockSize;
        _shards = new Shard[Environment.ProcessorCount];
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Shard();
        }

        _maxIdlePerShard = (int)Math.Clamp(maxIdleBytes / blockSize / _shards.Length, 1, int.MaxValue);
    }

    public override int MaxBufferSize => _blockSize;

    /// <summary>Blocks made since the pool was created (each is reused until the idle budget drops it).</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    /// <summary>Blocks waiting in the pool for reuse.</summary>
    public int Idle => _shards.Sum(s => s.Count);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (minBufferSize > _blockSize)
        {
            // Nothing in Kestrel asks for more than MaxBufferSize; if something does, it gets a block of its own.
            return new Block(this, GC.AllocateUninitializedArray<byte>(minBufferSize, pinned: true), pooled: false);
        }

        var home = Home();
        if (home.TryTake(out var block))
        {
            return block;
        }

        // Another core's spare blocks before a new one: returns land where the send completed, not where the rent was.
        foreach (var shard in _shards)
        {
            if (shard != home && shard.TryTake(out block))
            {
                return block;
            }
        }

        Interlocked.Increment(ref _allocated);
        _onAllocated?.Invoke();
        return new Block(this, GC.AllocateUninitializedArray<byte>(_blockSize, pinned: true), pooled: true);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        foreach (var shard in _shards)
        {
            shard.Clear();
        }
    }

    private Shard Home() => _shards[(uint)Thread.GetCurrentProcessorId() % (uint)_shards.Length];

    private void Return(Block block)
    {
        if (!_disposed)
        {
            Home().TryPut(block, _maxIdlePerShard);
        }
    }

    private sealed class Shard
    {
        private readonly ConcurrentQueue<Block> _blocks = new();
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public bool TryTake(out Block block)
        {
            if (Volatile.Read(ref _count) > 0 && _blocks.TryDequeue(out block!))
            {
                Interlocked.Decrement(ref _count);
                block.Rented();
                return true;
            }

            block = null!;
            return false;
        }

        public void TryPut(Block block, int max)
        {
            if (Volatile.Read(ref _count) < max)
            {
                Interlocked.Increment(ref _count);
                _blocks.Enqueue(block);
            }
        }

        public void Clear()
        {
            while (_blocks.TryDequeue(out _))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }

    private sealed class Block(BlockMemoryPool pool, byte[] array, bool pooled) : IMemoryOwner<byte>
    {
        // 1 while rented: a second Dispose must not put the same block in the pool twice.
        private int _rented = 1;

        public Memory<byte> Memory { get; } = MemoryMarshal.CreateFromPinnedArray(array, 0, array.Length);

        public void Rented() => Volatile.Write(ref _rented, 1);

        public void Dispose()
        {
            if (pooled && Interlocked.Exchange(ref _rented, 0) == 1)
            {
                pool.Return(this);
            }
        }
    }
}
