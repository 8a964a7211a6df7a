namespace Edge.Load.Live;

/// <summary>What a run of simulated low-latency HLS viewers does (<c>edge-load live</c>).</summary>
internal sealed class LiveOptions
{
    /// <summary>A live media playlist (Low-Latency HLS) on the node under test.</summary>
    public required Uri Playlist { get; init; }

    /// <summary>Simulated viewers. Defaults to 100.</summary>
    public int Viewers { get; init; } = 100;

    /// <summary>Hard stop. Defaults to 30 s.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Viewers join evenly spread over this time. Defaults to 2 s.</summary>
    public TimeSpan Ramp { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest one request may take; a blocking reload is held up to three target durations. Defaults to 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}
