using Edge.ControlPlane.Steering;

namespace Edge.ControlPlane.Tests.Steering;

public sealed class SteererTests
{
    private static string[] Titles(int count) => [.. Enumerable.Range(0, count).Select(i => $"/title-{i}/master.m3u8")];

    [Theory]
    [InlineData("/sample/720p/seg-1.m4s", 1, "sample")]
    [InlineData("/sample/master.m3u8", 1, "sample")]
    [InlineData("/master.m3u8", 1, "master.m3u8")]
    [InlineData("/studio/sample/720p/1.m4s", 2, "studio/sample")]
    [InlineData("/studio/x.m3u8", 2, "studio/x.m3u8")]
    public void TitleOf_PathWithSegments_LeadingSegments(string path, int segments, string expected) =>
        Assert.Equal(expected, Steerer.TitleOf(path, segments).ToString());

    [Fact]
    public void Decide_SegmentsOfOneTitle_SameNode()
    {
        using var world = SteeringWorld.Create(SteeringWorld.Json(new SiteSpec("ams", 8, ["127.0.0.0/8"])), o => o.TitleReplicas = 1);
        world.AllUp();

        var nodes = new[] { "/t/master.m3u8", "/t/720p/index.m3u8", "/t/720p/seg-1.m4s", "/t/audio/init.mp4" }.Select(p => world.Best(p)).Distinct();

        Assert.Single(nodes);
    }

    [Fact]
    public void Decide_ManyTitles_SpreadEvenlyOverSite()
    {
        using var world = SteeringWorld.Create(SteeringWorld.Json(new SiteSpec("ams", 5, ["127.0.0.0/8"])), o => o.TitleReplicas = 1);
        world.AllUp();

        var counts = Titles(10_000).GroupBy(t => world.Best(t)).ToDictionary(g => g.Key!, g => g.Count());

        Assert.Equal(5, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 1_700, 2_300));
    }

    [Fact]
    public void Decide_NodeWithTwiceTheCapacity_HoldsTwiceTheTitles()
    {
        var json = SteeringWorld.Json(new SiteSpec("ams", 3, ["127.0.0.0/8"]) { CapacityOf = i => i == 1 ? 20_000_000_000 : 10_000_000_000 });
        using var world = SteeringWorld.Create(json, o => o.TitleReplicas = 1);
        world.AllUp();

        var counts = Titles(10_000).GroupBy(t => world.Best(t)).ToDictionary(g => g.Key!, g => g.Count());

        Assert.InRange(counts["ams-1"], 4_600, 5_400);
        Assert.InRange(counts["ams-2"], 2_200, 2_800);
    }

    [Fact]
    public void Decide_NodeAdded_MovesOnlyAboutOneNthOfTitlesAllToNewNode()
    {
        const int titles = 20_000;
        using var world = SteeringWorld.Create(SteeringWorld.Json(new SiteSpec("ams", 20, ["127.0.0.0/8"])), o => o.TitleReplicas = 1);
        world.AllUp();
        var before = Titles(titles).ToDictionary(t => t, t => world.Best(t));

        File.WriteAllText(world.TopologyPath, SteeringWorld.Json(new SiteSpec("ams", 21, ["127.0.0.0/8"])));
        Assert.True(world.Store.Reload());
        world.AllUp();
        var moved = before.Where(kv => world.Best(kv.Key) != kv.Value).Select(kv => world.Best(kv.Key)).ToList();

        // Ideal is 1/21 = 4.8%; nothing moves between old nodes.
        Assert.InRange(moved.Count / (double)titles, 0.035, 0.062);
        Assert.All(moved, node => Assert.Equal("ams-21", node));
    }

    [Fact]
    public void Decide_NodeRemoved_OnlyItsTitlesMove()
    {
        using var world = SteeringWorld.Create(SteeringWorld.Json(new SiteSpec("ams", 10, ["127.0.0.0/8"])), o => o.TitleReplicas = 1);
        world.AllUp();
        var before = Titles(5_000).ToDictionary(t => t, t => world.Best(t));

        world.Heartbeat("ams-4", ready: false, draining: true);
        var moved = before.Where(kv => world.Best(kv.Key) != kv.Value).ToList();

        Assert.NotEmpty(moved);
        Assert.All(moved, kv => Assert.Equal("ams-4", kv.Value));
        Assert.DoesNotContain(before.Keys, t => world.Best(t) == "ams-4");
    }

    [Fact]
    public void Decide_TitleReplicas_PlayersOfOneTitleShareItsHomeNodes()
    {
        using var world = SteeringWorld.Create(SteeringWorld.Json(new SiteSpec("ams", 8, ["10.0.0.0/8"])), o => o.TitleReplicas = 3);
        world.AllUp();

        var counts = Enumerable.Range(0, 3_000).Select(i => world.Best("/hot/master.m3u8", $"10.0.{i / 250}.{i % 250}"))
            .GroupBy(n => n).ToDictionary(g => g.Key!, g => g.Count());

        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 800, 1_200));

        // A given client keeps its node.
        Assert.Equal(world.Best("/hot/a.m4s", "10.0.0.1"), world.Best("/hot/b.m4s", "10.0.0.1"));
    }

    [Fact]
    public void Decide_HomeNodeOverloaded_OverflowsToNextChoiceButKeepsItLast()
    {
        using var world = SteeringWorld.Create(SteeringWorld.Json(new SiteSpec("ams", 4, ["127.0.0.0/8"])), o => o.TitleReplicas = 1);
        world.AllUp();
        var home = world.Best("/hot/master.m3u8")!;

        world.Heartbeat(home, egress: 8_000_000_000);
        foreach (var other in world.Topology.Nodes.Where(n => n.Id != home))
        {
            world.Heartbeat(other.Id, egress: 1_000_000_000);
        }

        var decision = world.Decide("/hot/master.m3u8");
        Assert.NotEqual(home, decision.Best!.Id);
        Assert.Equal(home, decision.Candidates[^1].Id);
    }

    [Fact]
    public void Decide_OneHotTitle_SpillsOverOnceItsHomeIsFull()
    {
        // 1 Gb/s nodes, 5 Mb/s players: the home takes its share, then the rest of the site takes the overflow.
        var json = SteeringWorld.Json(new SiteSpec("ams", 4, ["127.0.0.0/8"]) { CapacityOf = _ => 1_000_000_000 });
        using var world = SteeringWorld.Create(json, o => o.TitleReplicas = 1);
        world.AllUp();

        var counts = Enumerable.Range(0, 400).Select(_ => world.Decide("/hot/master.m3u8", count: true).Best!.Id)
            .GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());

        // 400 players x 5 Mb/s = 2 Gb/s: no node may be pushed past its 95% ceiling, and every node shares.
        Assert.Equal(4, counts.Count);
        Assert.All(counts.Values, c => Assert.True(c * 5_000_000 <= 0.95 * 1_000_000_000 + 5_000_000, $"{c} players"));
    }

    [Fact]
    public void Decide_LightLoad_DoesNotScatterTitles()
    {
        using var world = SteeringWorld.Create(SteeringWorld.Json(new SiteSpec("ams", 4, ["127.0.0.0/8"])), o => o.TitleReplicas = 1);
        world.AllUp();
        var home = world.Best("/t/master.m3u8")!;

        // 10% busy while the others idle: under the overflow floor, so the title stays home.
        world.Heartbeat(home, egress: 1_000_000_000);

        Assert.Equal(home, world.Best("/t/master.m3u8"));
    }

    [Fact]
    public void Decide_SiteOrder_ClientSiteThenFallbackThenNearest()
    {
        var json = SteeringWorld.Json(
            new SiteSpec("ams", 2, ["127.0.0.0/8"], ["lon"], 52.37, 4.90),
            new SiteSpec("fra", 1, null, null, 50.11, 8.68),
            new SiteSpec("lon", 1, null, null, 51.5, -0.12),
            new SiteSpec("nyc", 1, null, null, 40.7, -74));
        using var world = SteeringWorld.Create(json, o => o.MaxCandidates = 5);
        world.AllUp();

        var sites = world.Decide("/t/master.m3u8").Candidates.Select(n => n.Site.Id);

        // The client site fills all but the last place; then its fallback, then the nearest.
        Assert.Equal(["ams", "ams", "lon", "fra", "nyc"], sites);
    }

    [Fact]
    public void Decide_ClientSiteLarge_LastPlaceGoesToAnotherSite()
    {
        var json = SteeringWorld.Json(new SiteSpec("ams", 6, ["127.0.0.0/8"], ["fra"]), new SiteSpec("fra", 2));
        using var world = SteeringWorld.Create(json, o => o.MaxCandidates = 4);
        world.AllUp();

        var sites = world.Decide("/t/master.m3u8").Candidates.Select(n => n.Site.Id);

        Assert.Equal(["ams", "ams", "ams", "fra"], sites);
    }

    [Fact]
    public void Decide_WholeClientSiteDown_FallbackSite()
    {
        var json = SteeringWorld.Json(new SiteSpec("ams", 2, ["127.0.0.0/8"], ["fra"]), new SiteSpec("fra", 2));
        using var world = SteeringWorld.Create(json);
        world.Heartbeat("fra-1");
        world.Heartbeat("fra-2");

        var decision = world.Decide("/t/master.m3u8");

        Assert.Equal("ams", decision.Match.Site.Id);
        Assert.All(decision.Candidates, n => Assert.Equal("fra", n.Site.Id));
        Assert.Equal(2, decision.Candidates.Count);
    }

    [Fact]
    public void Decide_NoNodeEligible_NoCandidates()
    {
        var json = SteeringWorld.Json(new SiteSpec("ams", 2, ["127.0.0.0/8"]), new SiteSpec("fra", 1));
        using var world = SteeringWorld.Create(json);
        world.Heartbeat("ams-1", ready: false, draining: true);
        world.Heartbeat("ams-2", ready: false);

        var decision = world.Decide("/t/master.m3u8");

        Assert.Null(decision.Best);
        Assert.Empty(decision.Candidates);
    }

    [Fact]
    public void Decide_NodeRampingUp_GetsAGrowingShareOfItsTitles()
    {
        using var world = SteeringWorld.Create(SteeringWorld.Json(new SiteSpec("ams", 4, ["127.0.0.0/8"])),
            o => (o.TitleReplicas, o.RampUpDuration) = (1, TimeSpan.FromSeconds(100)));
        world.Time.Advance(world.Tracker.StartupGrace + TimeSpan.FromSeconds(1));
        world.AllUp();
        world.Time.Advance(TimeSpan.FromSeconds(100));
        world.AllUp();
        var titles = Titles(8_000);
        var homed = titles.Where(t => world.Best(t) == "ams-1").ToList();

        // ams-1 dies and comes back.
        world.Time.Advance(TimeSpan.FromSeconds(3));
        Beat(world, "ams-2", "ams-3", "ams-4");
        Assert.DoesNotContain(titles, t => world.Best(t) == "ams-1");
        Beat(world, "ams-1", "ams-2", "ams-3", "ams-4");
        Assert.DoesNotContain(homed, t => world.Best(t) == "ams-1");

        world.Time.Advance(TimeSpan.FromSeconds(50));
        Beat(world, "ams-1", "ams-2", "ams-3", "ams-4");
        var half = homed.Count(t => world.Best(t) == "ams-1") / (double)homed.Count;
        Assert.InRange(half, 0.45, 0.55);
        Assert.DoesNotContain(titles.Except(homed), t => world.Best(t) == "ams-1");

        world.Time.Advance(TimeSpan.FromSeconds(50));
        Beat(world, "ams-1", "ams-2", "ams-3", "ams-4");
        Assert.All(homed, t => Assert.Equal("ams-1", world.Best(t)));
    }

    [Fact]
    public void Decide_Explain_ShowsScoresStateAndRank()
    {
        var json = SteeringWorld.Json(new SiteSpec("ams", 3, ["127.0.0.0/8"], ["fra"]), new SiteSpec("fra", 1));
        using var world = SteeringWorld.Create(json);
        world.AllUp();
        world.Heartbeat("ams-2", ready: false, draining: true);
        var explanation = new SteeringExplanation();

        var decision = world.Steerer.Decide("/t/master.m3u8", System.Net.IPAddress.Loopback, null, countDecision: false, explanation);

        Assert.Equal(["client", "fallback"], explanation.Sites.Select(s => s.Role));
        var ams2 = explanation.Sites[0].Nodes.Single(n => n.Node == "ams-2");
        Assert.False(ams2.Eligible);
        Assert.Equal("draining", ams2.Reason);
        Assert.Null(ams2.Score);
        Assert.Null(ams2.Rank);
        var best = explanation.Sites.SelectMany(s => s.Nodes).Single(n => n.Rank == 1);
        Assert.Equal(decision.Best!.Id, best.Node);
        Assert.NotNull(best.Score);
    }

    private static void Beat(SteeringWorld world, params string[] nodes)
    {
        foreach (var node in nodes)
        {
            world.Heartbeat(node);
        }
    }
}
