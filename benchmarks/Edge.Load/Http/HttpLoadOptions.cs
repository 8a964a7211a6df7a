namespace Edge.Load.Http;

/// <summary>What an HTTP load run sends (<c>edge-load http</c>).</summary>
internal sealed class HttpLoadOptions
{
    /// <summary>URLs to request; workers take them in turn, or at random.</summary>
    public required IReadOnlyList<Uri> Urls { get; init; }

    /// <summary>Concurrent connections, one worker each. Defaults to 32.</summary>
    public int Connections { get; init; } = 32;

    /// <summary>Hard stop: requests still in flight then are cancelled. Defaults to 10 s.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests per second over all connections; 0 means closed loop (each worker as fast as it can).</summary>
    public double Rate { get; init; }

    /// <summary>Longest a request may take. Defaults to 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Pick URLs at random (seeded) rather than in turn.</summary>
    public bool Random { get; init; }

    /// <summary>Stop after this many requests (0: only the duration stops the run). Defaults to 0.</summary>
    public long MaxRequests { get; init; }

    /// <summary>Seed of the random URL order. Defaults to 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Send every request as HTTP/2 (over TLS by ALPN, or prior knowledge for http://), one connection per worker.</summary>
    public bool Http2 { get; init; }

    /// <summary>Accept any server certificate: for a benchmark against a self-signed one on this machine.</summary>
    public bool Insecure { get; init; }
}
