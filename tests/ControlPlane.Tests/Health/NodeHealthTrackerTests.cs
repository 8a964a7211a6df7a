using Edge.ControlPlane.Health;

namespace Edge.ControlPlane.Tests.Health;

public sealed class NodeHealthTrackerTests
{
    private static readonly string OneSite = SteeringWorld.Json(new SiteSpec("ams", 3, ["127.0.0.0/8"]));

    private static NodeStatus Status(SteeringWorld world, string id) => world.Tracker.Refresh()[world.Topology.FindNode(id)!];

    [Fact]
    public void Refresh_NodeNeverHeardFrom_IsDown()
    {
        using var world = SteeringWorld.Create(OneSite);

        var status = Status(world, "ams-1");

        Assert.Equal(NodeState.Down, status.State);
        Assert.False(status.Eligible);
        Assert.Equal("not heard from yet", status.Reason);
    }

    [Fact]
    public void Refresh_HeartbeatsStop_DownWithinThreeSeconds()
    {
        using var world = SteeringWorld.Create(OneSite);
        world.Heartbeat("ams-1");
        Assert.True(Status(world, "ams-1").Eligible);

        world.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(NodeState.Up, Status(world, "ams-1").State);

        world.Time.Advance(TimeSpan.FromMilliseconds(250));
        var status = Status(world, "ams-1");
        Assert.Equal(NodeState.Down, status.State);
        Assert.StartsWith("no heartbeat for 2.", status.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordProbe_FailuresInARow_DownThenUpOnSuccess()
    {
        using var world = SteeringWorld.Create(OneSite);
        world.Tracker.RecordProbe("ams-1", ProbeResult.Ready);
        Assert.Equal(NodeState.Up, Status(world, "ams-1").State);

        world.Tracker.RecordProbe("ams-1", ProbeResult.Failed, "Connection refused");
        Assert.Equal(NodeState.Up, Status(world, "ams-1").State);
        world.Tracker.RecordProbe("ams-1", ProbeResult.Failed, "Connection refused");
        var down = Status(world, "ams-1");
        Assert.Equal(NodeState.Down, down.State);
        Assert.Contains("Connection refused", down.Reason, StringComparison.Ordinal);

        world.Tracker.RecordProbe("ams-1", ProbeResult.Ready);
        Assert.Equal(NodeState.Up, Status(world, "ams-1").State);
    }

    [Fact]
    public void RecordHeartbeat_Draining_UpButNotEligible()
    {
        using var world = SteeringWorld.Create(OneSite);

        world.Heartbeat("ams-1", ready: false, draining: true);

        var status = Status(world, "ams-1");
        Assert.Equal(NodeState.Up, status.State);
        Assert.False(status.Eligible);
        Assert.Equal("draining", status.Reason);
    }

    [Fact]
    public void RecordProbe_DrainingAnswer_NotEligible()
    {
        using var world = SteeringWorld.Create(OneSite);
        world.Heartbeat("ams-1");

        world.Tracker.RecordProbe("ams-1", ProbeResult.Draining);

        Assert.False(Status(world, "ams-1").Eligible);
    }

    [Fact]
    public void RecordHeartbeat_ReportsUnhealthy_Down()
    {
        using var world = SteeringWorld.Create(OneSite);

        world.Heartbeat("ams-1", healthy: false);

        Assert.Equal(NodeState.Down, Status(world, "ams-1").State);
    }

    [Fact]
    public void RecordHeartbeat_UnknownNode_ReturnsFalse()
    {
        using var world = SteeringWorld.Create(OneSite);

        Assert.False(world.Tracker.RecordHeartbeat(new Contracts.NodeReport { NodeId = "mars-1", Ready = true }));
    }

    [Fact]
    public void Refresh_NodeUpAtStartup_NotRamped()
    {
        using var world = SteeringWorld.Create(OneSite);

        world.Heartbeat("ams-1");

        Assert.Equal(1.0, Status(world, "ams-1").RampFraction);
    }

    [Fact]
    public void Refresh_NodeSeenDownDuringStartupGrace_StillRampsOnReturn()
    {
        using var world = SteeringWorld.Create(OneSite);
        world.Tracker.RecordProbe("ams-1", ProbeResult.Ready);
        world.Tracker.RecordProbe("ams-1", ProbeResult.Failed, "refused");
        world.Tracker.RecordProbe("ams-1", ProbeResult.Failed, "refused");
        Assert.Equal(NodeState.Down, Status(world, "ams-1").State);

        world.Tracker.RecordProbe("ams-1", ProbeResult.Ready);

        Assert.Equal(0.0, Status(world, "ams-1").RampFraction);
    }

    [Fact]
    public void Refresh_NodeComesBack_RampsUpLinearly()
    {
        using var world = SteeringWorld.Create(OneSite, o => o.RampUpDuration = TimeSpan.FromSeconds(60));
        world.Time.Advance(world.Tracker.StartupGrace + TimeSpan.FromSeconds(1));
        world.Heartbeat("ams-1");
        Assert.Equal(0.0, Status(world, "ams-1").RampFraction);

        world.Time.Advance(TimeSpan.FromSeconds(15));
        world.Heartbeat("ams-1");
        Assert.Equal(0.25, Status(world, "ams-1").RampFraction, 3);

        world.Time.Advance(TimeSpan.FromSeconds(45));
        world.Heartbeat("ams-1");
        Assert.Equal(1.0, Status(world, "ams-1").RampFraction);

        // Down and back again: the ramp starts over.
        world.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(NodeState.Down, Status(world, "ams-1").State);
        world.Heartbeat("ams-1");
        Assert.Equal(0.0, Status(world, "ams-1").RampFraction);
    }

    [Fact]
    public void Refresh_NodeRemovedFromTopology_Forgotten()
    {
        using var world = SteeringWorld.Create(OneSite);
        world.Heartbeat("ams-3");

        File.WriteAllText(world.TopologyPath, SteeringWorld.Json(new SiteSpec("ams", 2, ["127.0.0.0/8"])));
        world.Store.Reload();

        Assert.Equal(2, world.Tracker.View.Topology.Nodes.Count);
        Assert.False(world.Tracker.RecordHeartbeat(new Contracts.NodeReport { NodeId = "ams-3", Ready = true }));
    }

    [Fact]
    public void RecordProbe_ReadyAfterForgedUnhealthyFlood_UpWithinOneProbeAndFloodIgnored()
    {
        using var world = SteeringWorld.Create(OneSite);
        world.Tracker.RecordProbe("ams-1", ProbeResult.Ready);
        Forged(world, "ams-1", healthy: false);
        Assert.Equal(NodeState.Down, Status(world, "ams-1").State);

        world.Time.Advance(world.Options.ProbeInterval);
        world.Tracker.RecordProbe("ams-1", ProbeResult.Ready);
        for (var i = 0; i < 100; i++)
        {
            Forged(world, "ams-1", healthy: false);
        }

        var status = Status(world, "ams-1");
        Assert.Equal(NodeState.Up, status.State);
        Assert.True(status.Eligible);
    }

    [Fact]
    public void Refresh_OneForgedReportToAReplicaTheNodeDoesNotReportTo_ProbesKeepItUp()
    {
        using var world = SteeringWorld.Create(OneSite);
        world.Tracker.RecordProbe("ams-1", ProbeResult.Ready);
        Forged(world, "ams-1", healthy: true);

        for (var i = 0; i < 10; i++)
        {
            world.Time.Advance(world.Options.ProbeInterval);
            world.Tracker.RecordProbe("ams-1", ProbeResult.Ready);
            Assert.Equal(NodeState.Up, Status(world, "ams-1").State);
        }
    }

    [Fact]
    public void RecordHeartbeat_VerifiedUnhealthy_DownWhateverTheProbesSay()
    {
        using var world = SteeringWorld.Create(OneSite);
        world.Tracker.RecordProbe("ams-1", ProbeResult.Ready);
        Assert.True(world.Tracker.RecordHeartbeat(new Contracts.NodeReport { NodeId = "ams-1", Ready = true, Healthy = false }, verified: true));

        world.Time.Advance(world.Options.ProbeInterval);
        world.Tracker.RecordProbe("ams-1", ProbeResult.Ready);

        Assert.Equal(NodeState.Down, Status(world, "ams-1").State);
    }

    [Fact]
    public void RecordHeartbeat_UnverifiedAndAgreeingWithProbes_Heard()
    {
        using var world = SteeringWorld.Create(OneSite);
        world.Tracker.RecordProbe("ams-1", ProbeResult.Ready);
        Assert.True(world.Tracker.RecordHeartbeat(new Contracts.NodeReport { NodeId = "ams-1", Ready = true, EgressBitsPerSecond = 123 }, verified: false));

        world.Tracker.RecordProbe("ams-1", ProbeResult.Ready);

        Assert.Equal(123, Status(world, "ams-1").ReportedEgressBps);
    }

    private static void Forged(SteeringWorld world, string id, bool healthy) =>
        Assert.True(world.Tracker.RecordHeartbeat(new Contracts.NodeReport { NodeId = id, Ready = healthy, Healthy = healthy }, verified: false));
}
