using System.Buffers;
using Edge.EdgeServer.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Transport;

/// <summary>Makes Kestrel's memory pools (sockets, TLS, HTTP/2) <see cref="BlockMemoryPool"/>s of <c>Edge:Transport:MemoryBlockBytes</c>.</summary>
internal sealed class BlockMemoryPoolFactory(IOptions<EdgeOptions> options) : IMemoryPoolFactory<byte>
{
    private long _allocated;

    /// <summary>Blocks made by every pool of this factory, for tests and diagnostics.</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    // Kestrel owns and disposes the pools; the factory keeps none of them, only the count.
    public MemoryPool<byte> Create(MemoryPoolOptions? poolOptions = null)
    {
        var transport = options.Value.Transport;
        return new BlockMemoryPool(transport.MemoryBlockBytes, transport.MemoryPoolMaxIdleBytes, () => Interlocked.Increment(ref _allocated));
    }
}
