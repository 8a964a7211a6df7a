using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Edge.EdgeServer.Health;

/// <summary>
/// Counts open client connections (Kestrel connection middleware) for the node's heartbeat, and closes a
/// connection at once when its client address already holds as many as it may.
/// </summary>
internal sealed class ConnectionCounter
{
    private readonly ConcurrentDictionary<IPAddress, int> _perClient = new();
    private long _active;
    private long _refused;

    public long Active => Interlocked.Read(ref _active);

    /// <summary>Connections closed because their client address was at its limit.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Wraps the connection pipeline; <paramref name="limit"/> connections per client address (0: no limit).</summary>
    public ConnectionDelegate Wrap(ConnectionDelegate next, int limit) => async connection =>
    {
        var address = limit > 0 && connection.RemoteEndPoint is IPEndPoint endPoint
            ? (endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address)
            : null;
        if (address is not null && _perClient.AddOrUpdate(address, 1, static (_, n) => n + 1) > limit)
        {
            Release(address);
            Interlocked.Increment(ref _refused);
            return;
        }

        Interlocked.Increment(ref _active);
        try
        {
            await next(connection);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
            if (address is not null)
            {
                Release(address);
            }
        }
    };

    private void Release(IPAddress address)
    {
        while (_perClient.TryGetValue(address, out var count))
        {
            if (count <= 1 ? _perClient.TryRemove(new KeyValuePair<IPAddress, int>(address, count)) : _perClient.TryUpdate(address, count - 1, count))
            {
                return;
            }
        }
    }
}
