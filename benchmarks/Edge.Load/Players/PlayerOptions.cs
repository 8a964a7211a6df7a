namespace Edge.Load.Players;

/// <summary>What a run of simulated viewers does (<c>edge-load players</c>).</summary>
internal sealed class PlayerOptions
{
    /// <summary>The title's master playlist, usually the control plane's steered <c>/v1/play/...</c> URL.</summary>
    public required Uri Master { get; init; }

    /// <summary>More titles besides <see cref="Master"/>: viewer N watches the (N mod count)th of them all.</summary>
    public IReadOnlyList<Uri> MoreMasters { get; init; } = [];

    /// <summary>The master playlist viewer <paramref name="viewer"/> watches.</summary>
    public Uri MasterFor(int viewer) => viewer % (MoreMasters.Count + 1) is var n and > 0 ? MoreMasters[n - 1] : Master;

    /// <summary>Simulated viewers. Defaults to 10.</summary>
    public int Viewers { get; init; } = 10;

    /// <summary>Hard stop for every session. Defaults to 60 s.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Viewers start evenly spread over this time. Defaults to 0 (all at once).</summary>
    public TimeSpan Ramp { get; init; } = TimeSpan.Zero;

    /// <summary>Media a viewer buffers ahead before it waits at playback pace. Defaults to 12 s.</summary>
    public TimeSpan BufferGoal { get; init; } = TimeSpan.FromSeconds(12);

    /// <summary>
    /// Whether each media request carries CMCD in its query, as hls.js sends it: session id, bitrate, buffer length,
    /// measured throughput, object type and the next segment (<c>nor</c>). Defaults to false.
    /// </summary>
    public bool Cmcd { get; init; }

    /// <summary>Longest one request may take. Defaults to 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}
