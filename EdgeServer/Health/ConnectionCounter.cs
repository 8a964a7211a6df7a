using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Edge.EdgeServer.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace Edge.EdgeServer.Health;

/// <summary>
/// Counts open client connections (Kestrel connection middleware) for the node's heartbeat, closes a connection at
/// once when its client already holds as many as it may, and keeps connections that have not yet sent a whole
/// request (TLS handshake or headers still arriving) within a budget of their own, so they cannot take the slots
/// of players that are being served.
/// </summary>
/// <remarks>
/// A client is an IPv4 address or an IPv6 /64: one host is routinely given a whole /64, so counting single IPv6
/// addresses would let it open as many connections as it likes. Over the overall half-open budget the oldest
/// half-open connection is closed, not the new one: a player finishes its headers in milliseconds, a slow-header
/// attacker never does, so the oldest is almost always the attacker's.
/// </remarks>
internal sealed class ConnectionCounter
{
    private readonly ConcurrentDictionary<IPAddress, int> _perClient = new();

    // Half-open connections, oldest first, and their count per client; guarded by locking the list.
    private readonly LinkedList<HalfOpen> _halfOpen = new();
    private readonly Dictionary<IPAddress, int> _halfOpenPerClient = new();
    private long _active;
    private long _refused;
    private long _halfOpenRefused;
    private long _halfOpenEvicted;

    public long Active => Interlocked.Read(ref _active);

    /// <summary>Connections closed because their client was at <c>MaxConnectionsPerClient</c>.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Connections closed at once because their client already had <c>MaxHalfOpenConnectionsPerClient</c> half-open.</summary>
    public long HalfOpenRefused => Interlocked.Read(ref _halfOpenRefused);

    /// <summary>Half-open connections closed, oldest first, to keep within <c>MaxHalfOpenConnections</c>.</summary>
    public long HalfOpenEvicted => Interlocked.Read(ref _halfOpenEvicted);

    /// <summary>Connections that have not yet sent a whole request.</summary>
    public int HalfOpenCount
    {
        get
        {
            lock (_halfOpen)
            {
                return _halfOpen.Count;
            }
        }
    }

    /// <summary>Wraps the connection pipeline with the per-client and half-open limits of <paramref name="limits"/>.</summary>
    public ConnectionDelegate Wrap(ConnectionDelegate next, LimitsOptions limits) => async connection =>
    {
        var perClient = limits.MaxConnectionsPerClient;
        var client = connection.RemoteEndPoint is IPEndPoint endPoint ? ClientOf(endPoint.Address) : null;
        if (client is not null && perClient > 0 && _perClient.AddOrUpdate(client, 1, static (_, n) => n + 1) > perClient)
        {
            Release(client);
            Interlocked.Increment(ref _refused);
            return;
        }

        var halfOpen = Enter(connection, client, limits);
        if (halfOpen is null)
        {
            if (client is not null && perClient > 0)
            {
                Release(client);
            }

            Interlocked.Increment(ref _halfOpenRefused);
            return;
        }

        Interlocked.Increment(ref _active);
        try
        {
            await next(connection);
        }
        finally
        {
            Leave(halfOpen);
            Interlocked.Decrement(ref _active);
            if (client is not null && perClient > 0)
            {
                Release(client);
            }
        }
    };

    /// <summary>Marks the request's connection as established: it has sent a whole request.</summary>
    public void Established(HttpContext context)
    {
        var halfOpen = context.Features.Get<HalfOpen>();
        if (halfOpen is not null && halfOpen.Node.List is not null)
        {
            Leave(halfOpen);
        }
    }

    /// <summary>The key a client's connections are counted under: the IPv4 address, or the IPv6 /64.</summary>
    internal static IPAddress ClientOf(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    private HalfOpen? Enter(ConnectionContext connection, IPAddress? client, LimitsOptions limits)
    {
        var halfOpen = new HalfOpen(connection, client);
        List<HalfOpen>? evicted = null;
        lock (_halfOpen)
        {
            if (client is not null && limits.MaxHalfOpenConnectionsPerClient > 0)
            {
                _halfOpenPerClient.TryGetValue(client, out var count);
                if (count >= limits.MaxHalfOpenConnectionsPerClient)
                {
                    return null;
                }

                _halfOpenPerClient[client] = count + 1;
            }

            while (limits.MaxHalfOpenConnections > 0 && _halfOpen.Count >= limits.MaxHalfOpenConnections && _halfOpen.First is { } oldest)
            {
                RemoveLocked(oldest.Value);
                (evicted ??= []).Add(oldest.Value);
            }

            _halfOpen.AddLast(halfOpen.Node);
        }

        connection.Features.Set(halfOpen);
        foreach (var old in evicted ?? [])
        {
            Interlocked.Increment(ref _halfOpenEvicted);
            old.Connection.Abort(new ConnectionAbortedException("too many connections still sending their request"));
        }

        return halfOpen;
    }

    private void Leave(HalfOpen halfOpen)
    {
        lock (_halfOpen)
        {
            if (halfOpen.Node.List is not null)
            {
                RemoveLocked(halfOpen);
            }
        }
    }

    private void RemoveLocked(HalfOpen halfOpen)
    {
        _halfOpen.Remove(halfOpen.Node);
        if (halfOpen.Client is not null && _halfOpenPerClient.TryGetValue(halfOpen.Client, out var count))
        {
            if (count <= 1)
            {
                _halfOpenPerClient.Remove(halfOpen.Client);
            }
            else
            {
                _halfOpenPerClient[halfOpen.Client] = count - 1;
            }
        }
    }

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

    /// <summary>A connection that has not sent a whole request yet; also the connection feature that finds it.</summary>
    private sealed class HalfOpen
    {
        public HalfOpen(ConnectionContext connection, IPAddress? client)
        {
            Connection = connection;
            Client = client;
            Node = new LinkedListNode<HalfOpen>(this);
        }

        public ConnectionContext Connection { get; }

        public IPAddress? Client { get; }

        public LinkedListNode<HalfOpen> Node { get; }
    }
}
