using Microsoft.AspNetCore.Connections;

namespace Edge.EdgeServer.Health;

/// <summary>Counts open client connections (Kestrel connection middleware), for the node's heartbeat.</summary>
internal sealed class ConnectionCounter
{
    private long _active;

    public long Active => Interlocked.Read(ref _active);

    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        Interlocked.Increment(ref _active);
        try
        {
            await next(connection);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    };
}
