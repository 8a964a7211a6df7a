using System.Net;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using Edge.EdgeServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edge.Benchmarks.Serving;

/// <summary>
/// One whole hit over a real loopback socket, against a bare Kestrel app that writes the same bytes (the baseline:
/// Kestrel's own cost). The client is a raw socket that allocates nothing, and MemoryDiagnoser counts every thread's
/// allocations, so the difference in Allocated is what the node's own hit path allocates.
/// </summary>
[MemoryDiagnoser]
public class HitPathBenchmarks : IDisposable
{
    private readonly byte[] _buffer = new byte[256 * 1024];
    private readonly List<WebApplication> _apps = [];
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "edge-bench-" + Guid.NewGuid().ToString("N"));
    private Socket _bare = null!;
    private Socket _memory = null!;
    private Socket _disk = null!;
    private Socket _logged = null!;
    private byte[] _request = [];

    [Params(2048, 65536)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Directory.CreateDirectory(_cache);
        var body = new byte[Length];
        new Random(1).NextBytes(body);
        var bare = StartBare(body);
        var memory = Start(EdgeApplication.Build(Args(bare, "memory", "268435456"), Quiet));
        var disk = Start(EdgeApplication.Build(Args(bare, "disk", "0"), Quiet));

        // The same memory hit with its access log line written to a file (rotated at 64 MiB, two kept).
        var logged = Start(EdgeApplication.Build(
            [.. Args(bare, "logged", "268435456"), "--AccessLog:Enabled=true", $"--AccessLog:Path={Path.Combine(_cache, "access.log")}", "--AccessLog:MaxFileBytes=67108864", "--AccessLog:MaxFiles=2"],
            Quiet));
        _request = Encoding.ASCII.GetBytes("GET /t/object.m4s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n\r\n");
        (_bare, _memory, _disk, _logged) = (Connect(bare), Connect(memory), Connect(disk), Connect(logged));

        // Filled, stored, and (for the memory node) promoted before anything is measured.
        for (var i = 0; i < 4; i++)
        {
            RoundTrip(_memory);
            RoundTrip(_disk);
            RoundTrip(_logged);
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _bare.Dispose();
        _memory.Dispose();
        _disk.Dispose();
        _logged.Dispose();
        foreach (var app in _apps)
        {
            app.StopAsync().GetAwaiter().GetResult();
            ((IDisposable)app).Dispose();
        }

        Directory.Delete(_cache, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public int BareKestrel() => RoundTrip(_bare);

    [Benchmark]
    public int EdgeMemoryHit() => RoundTrip(_memory);

    [Benchmark]
    public int EdgeDiskHit() => RoundTrip(_disk);

    [Benchmark]
    public int EdgeMemoryHitAccessLogged() => RoundTrip(_logged);

    private static void Quiet(WebApplicationBuilder builder) => builder.Logging.ClearProviders();

    private static Socket Connect(string url)
    {
        var uri = new Uri(url);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(IPAddress.Loopback, uri.Port);
        return socket;
    }

    private string[] Args(string origin, string name, string memoryBytes) =>
    [
        "--urls=http://127.0.0.1:0",
        $"--Edge:CacheDirectory={Path.Combine(_cache, name)}",
        $"--Edge:OriginUrl={origin}",
        $"--Edge:NodeId=bench-{name}",
        $"--Edge:MemoryCacheMaxBytes={memoryBytes}",
        "--Edge:Admission:DoorkeeperWindow=00:00:00",
        "--AccessLog:Enabled=false",
    ];

    private string StartBare(byte[] body)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(context =>
        {
            context.Response.ContentLength = body.Length;
            context.Response.ContentType = "video/iso.segment";
            context.Response.Headers.CacheControl = "public, max-age=31536000";
            return context.Response.Body.WriteAsync(body).AsTask();
        });
        return Start(app);
    }

    private string Start(WebApplication app)
    {
        app.StartAsync().GetAwaiter().GetResult();
        _apps.Add(app);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>Sends one request and reads the response to the end of its body; returns the bytes read.</summary>
    private int RoundTrip(Socket socket)
    {
        socket.Send(_request);
        var read = 0;
        var total = -1;
        while (total < 0 || read < total)
        {
            var n = socket.Receive(_buffer.AsSpan(read));
            if (n == 0)
            {
                throw new IOException("connection closed");
            }

            read += n;
            if (total < 0)
            {
                total = ResponseLength(_buffer.AsSpan(0, read));
            }
        }

        return read;
    }

    private static int ResponseLength(ReadOnlySpan<byte> received)
    {
        var end = received.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return -1;
        }

        var headers = received[..end];
        var at = headers.IndexOf("Content-Length: "u8);
        var value = headers[(at + 16)..];
        var length = 0;
        foreach (var c in value)
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                break;
            }

            length = (length * 10) + (c - '0');
        }

        return end + 4 + length;
    }
}
