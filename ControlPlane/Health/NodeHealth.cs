using Edge.Contracts;

namespace Edge.ControlPlane.Health;

/// <summary>What one probe of a node's <c>/readyz</c> found.</summary>
internal enum ProbeResult
{
    /// <summary>200: alive and taking players.</summary>
    Ready,

    /// <summary>503: alive but not taking players (starting, cache unusable).</summary>
    NotReady,

    /// <summary>503 saying the node drains.</summary>
    Draining,

    /// <summary>No answer: refused, reset, timed out, or an answer no edge gives.</summary>
    Failed,
}

/// <summary>Up or down, as the control plane last judged it.</summary>
internal enum NodeState
{
    Down,
    Up,
}

/// <summary>
/// Everything heard from and about one node, mutated by heartbeats and probes under a lock;
/// <see cref="NodeHealthTracker"/> turns it into immutable <see cref="NodeStatus"/> snapshots.
/// </summary>
internal sealed class NodeHealth(string nodeId)
{
    private long _decisionsSinceReport;
    private long _egressBps;

    public string NodeId { get; } = nodeId;

    public Lock Gate { get; } = new();

    public DateTimeOffset? LastHeartbeat { get; set; }

    public NodeReport? LastReport { get; set; }

    /// <summary>The last report proved it came from the node (a node key is configured and its token matched).</summary>
    public bool LastReportVerified { get; set; } = true;

    /// <summary>Until then, unverified reports are ignored: a probe contradicted them.</summary>
    public DateTimeOffset? ReportsOverruledUntil { get; set; }

    public DateTimeOffset? LastProbeOk { get; set; }

    public int ConsecutiveProbeFailures { get; set; }

    public string? LastProbeError { get; set; }

    public bool Ready { get; set; }

    public bool Draining { get; set; }

    public NodeState State { get; set; }

    public DateTimeOffset StateSince { get; set; }

    /// <summary>This control plane has seen the node up before.</summary>
    public bool WasUp { get; set; }

    /// <summary>When the node last came up after being down; the ramp counts from here. Null: not ramping.</summary>
    public DateTimeOffset? RampStart { get; set; }

    /// <summary>Egress from the newest report, read live by steering so load counts the moment it is reported.</summary>
    public long EgressBps
    {
        get => Volatile.Read(ref _egressBps);
        set => Volatile.Write(ref _egressBps, value);
    }

    /// <summary>Players sent to this node since its last report; they count against its capacity until it reports them.</summary>
    public long DecisionsSinceReport => Volatile.Read(ref _decisionsSinceReport);

    public void CountDecision() => Interlocked.Increment(ref _decisionsSinceReport);

    public void ResetDecisions() => Volatile.Write(ref _decisionsSinceReport, 0);
}

/// <summary>An immutable view of one node's health at one instant, as steering sees it.</summary>
internal sealed class NodeStatus
{
    public required NodeHealth Health { get; init; }

    public required NodeState State { get; init; }

    public required DateTimeOffset StateSince { get; init; }

    public required bool Ready { get; init; }

    public required bool Draining { get; init; }

    /// <summary>Why the node is or is not eligible, for operators.</summary>
    public required string Reason { get; init; }

    /// <summary>Share of its titles the node takes while ramping up, 0 to 1.</summary>
    public required double RampFraction { get; init; }

    public required long ReportedEgressBps { get; init; }

    public required int ActiveConnections { get; init; }

    public required double CacheFullness { get; init; }

    public required double HitRatio { get; init; }

    /// <summary>What the node's players reported in CMCD over the last five minutes (zero without a fresh heartbeat).</summary>
    public int PlayerSessions { get; init; }

    public double RebufferingShare { get; init; }

    public long MeanBitrateKbps { get; init; }

    public required DateTimeOffset? LastHeartbeat { get; init; }

    public required int ConsecutiveProbeFailures { get; init; }

    /// <summary>Up, ready and not draining: may be given new players.</summary>
    public bool Eligible => State == NodeState.Up && Ready && !Draining;
}
