using System.Buffers;
using Edge.EdgeServer.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Transport;

/// <summary>Makes Kestrel's memory pools (sockets, TLS, HTTP/2) <see cref="BlockMemoryPool"/>s of <c>Edge:Transport:MemoryBlockBytes</c>.</summary>
internal sealed class BlockMemoryPoolFactory(IOptions<EdgeOptions> options) : IMemoryPoolFactory<byte>
{
    private readonly List<BlockMemoryPool> _pools = [];

    /// <summary>Every pool made so far, for metrics and tests.</summary>
    public IReadOnlyList<BlockMemoryPool> Pools
    {
        get
        {
            lock (_pools)
            {
                return [.. _pools];
            }
        }
    }

    public MemoryPool<byte> Create(MemoryPoolOptions? poolOptions = null)
    {
        var transport = options.Value.Transport;
        var pool = new BlockMemoryPool(transport.MemoryBlockBytes, transport.MemoryPoolMaxIdleBytes);
        lock (_pools)
        {
            _pools.Add(pool);
        }

        return pool;
    }
}
