using System.Net.Sockets;

namespace Edge.Testing;

/// <summary>What a client sees of a connection the node cuts.</summary>
public static class CutConnection
{
    /// <summary>Reads what the node sent before it cut the connection (nothing when a reset discards it); headers included.</summary>
    public static async Task<long> DrainAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(30))) > 0)
            {
                total += n;
            }
        }
        catch (SocketException)
        {
            // A reset after the cut ends the read as well.
        }

        return total;
    }
}
