using Edge.ControlPlane.Topology;

namespace Edge.ControlPlane.Tests.Topology;

public sealed class TopologyStoreTests
{
    private static readonly string TwoSites = SteeringWorld.Json(new SiteSpec("ams", 2, ["127.0.0.0/8"]), new SiteSpec("fra", 1));

    [Fact]
    public void Reload_ValidChange_TakesEffectAndRaisesChanged()
    {
        using var world = SteeringWorld.Create(TwoSites);
        NetworkTopology? seen = null;
        world.Store.Changed += t => seen = t;

        File.WriteAllText(world.TopologyPath, SteeringWorld.Json(new SiteSpec("ams", 2), new SiteSpec("fra", 1, ["127.0.0.0/8"])));

        Assert.True(world.Store.Reload());
        Assert.Same(world.Store.Current, seen);
        Assert.Equal(2, world.Store.Version);
        Assert.Equal("fra", world.Topology.MatchSite(System.Net.IPAddress.Loopback, null).Site.Id);
    }

    [Fact]
    public void Reload_InvalidFile_KeepsLastGoodAndNamesProblem()
    {
        using var world = SteeringWorld.Create(TwoSites);
        var before = world.Store.Current;

        File.WriteAllText(world.TopologyPath, """{"sites":[{"id":"ams"}],"nodes":[{"id":"x","site":"mars","url":"http://h:1","capacityBps":1}]}""");

        Assert.False(world.Store.Reload());
        Assert.Same(before, world.Store.Current);
        Assert.Equal(1, world.Store.Version);
        Assert.Contains("nodes[0].site: unknown site 'mars'", world.Store.LastError, StringComparison.Ordinal);

        // Putting a good file back clears the error.
        File.WriteAllText(world.TopologyPath, TwoSites.Replace("ams", "ams2", StringComparison.Ordinal));
        Assert.True(world.Store.Reload());
        Assert.Null(world.Store.LastError);
    }

    [Fact]
    public void Reload_UnchangedFile_DoesNothing()
    {
        using var world = SteeringWorld.Create(TwoSites);

        Assert.False(world.Store.Reload());
        Assert.Equal(1, world.Store.Version);
    }

    [Fact]
    public void Load_InvalidFile_ThrowsNamingKeyAndProblem()
    {
        using var world = SteeringWorld.Create(TwoSites);
        File.WriteAllText(world.TopologyPath, """{"sites":[{"id":"ams","prefixes":["banana"]}]}""");

        var ex = Assert.Throws<TopologyException>(world.Store.Load);

        Assert.Contains("ControlPlane:TopologyFile", ex.Message, StringComparison.Ordinal);
        Assert.Contains("sites[0].prefixes[0]: 'banana'", ex.Message, StringComparison.Ordinal);
    }
}
