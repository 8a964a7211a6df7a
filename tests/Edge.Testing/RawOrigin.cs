using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Edge.Testing;

/// <summary>A request as a <see cref="RawOrigin"/> received it: the request line and header lines, as bytes in Latin-1.</summary>
public sealed record RawRequest(string Target, IReadOnlyList<KeyValuePair<string, string>> Fields)
{
    public string? this[string name] => Fields.FirstOrDefault(f => f.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public bool Has(string name) => Fields.Any(f => f.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// An HTTP/1.1 origin on loopback that answers with exactly the bytes a test scripts: any header spelling, order,
/// repeats or obs-text, which a framework origin would normalise. It records every request it receives.
/// </summary>
public sealed class RawOrigin : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<string, Func<RawRequest, byte[]>> _responders = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RawRequest> _requests = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private RawOrigin()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public IReadOnlyCollection<RawRequest> Requests => _requests;

    public static RawOrigin Start() => new();

    /// <summary>Answers requests for <paramref name="target"/> (path and query) with what <paramref name="respond"/> builds.</summary>
    public void On(string target, Func<RawRequest, byte[]> respond) => _responders[target] = respond;

    /// <summary>Answers <paramref name="target"/> with a status line, these header lines as written, and a body with its Content-Length.</summary>
    public void On(string target, string statusLine, string[] headerLines, byte[] body) =>
        On(target, _ => Response(statusLine, headerLines, body));

    public int CountOf(string target) => _requests.Count(r => r.Target == target);

    /// <summary>A response's bytes: header lines in Latin-1 (so "\u00e9" is the byte 0xE9), then Content-Length and the body.</summary>
    public static byte[] Response(string statusLine, IEnumerable<string> headerLines, byte[] body)
    {
        var head = new StringBuilder().Append(statusLine).Append("\r\n");
        foreach (var line in headerLines)
        {
            head.Append(line).Append("\r\n");
        }

        head.Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new byte[64 * 1024];
            var pending = new List<byte>();
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    int end;
                    while ((end = IndexOfHeadEnd(pending)) < 0)
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        pending.AddRange(buffer.AsSpan(0, read));
                    }

                    var head = Encoding.Latin1.GetString([.. pending.GetRange(0, end)]);
                    pending.RemoveRange(0, end + 4);
                    var lines = head.Split("\r\n");
                    var fields = lines.Skip(1)
                        .Select(l => l.Split(':', 2))
                        .Where(p => p.Length == 2)
                        .Select(p => new KeyValuePair<string, string>(p[0], p[1].Trim()))
                        .ToList();
                    var request = new RawRequest(lines[0].Split(' ')[1], fields);
                    _requests.Enqueue(request);
                    var response = _responders.TryGetValue(request.Target, out var respond)
                        ? respond(request)
                        : Response("HTTP/1.1 404 Not Found", ["Content-Type: text/plain"], "not here\n"u8.ToArray());
                    await stream.WriteAsync(response, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
            }
        }
    }

    private static int IndexOfHeadEnd(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}
