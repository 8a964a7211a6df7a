using System.Net;
using Edge.ControlPlane.Topology;

namespace Edge.ControlPlane.Tests.Topology;

public sealed class TopologyParserTests
{
    private const string Example = """
        {"sites":[{"id":"ams","location":{"lat":52.37,"lon":4.90},"prefixes":["10.1.0.0/16","2001:db8:1::/48"],"fallback":["fra"]},
                  {"id":"fra","location":{"lat":50.11,"lon":8.68},"prefixes":["10.2.0.0/16"]},
                  {"id":"nyc","location":{"lat":40.71,"lon":-74.0}}],
         "nodes":[{"id":"ams-1","site":"ams","url":"http://127.0.0.1:9001","capacityBps":10000000000},
                  {"id":"fra-1","site":"fra","url":"http://127.0.0.1:9002/","capacityBps":10000000000}]}
        """;

    [Fact]
    public void TryParse_IssueExample_BuildsSitesNodesAndPrefixes()
    {
        Assert.True(TopologyParser.TryParse(Example, out var topology, out var errors), string.Join("\n", errors));

        Assert.Equal(["ams", "fra", "nyc"], topology!.Sites.Select(s => s.Id));
        Assert.Equal("http://127.0.0.1:9002", topology.FindNode("fra-1")!.BaseUrl);
        Assert.Equal("fra", Assert.Single(topology.FindSite("ams")!.Fallback).Id);
        Assert.Equal(3, topology.PrefixCount);
        Assert.Equal("ams", topology.DefaultSite.Id);
    }

    [Fact]
    public void MatchSite_PrefixThenLocationThenDefault()
    {
        Assert.True(TopologyParser.TryParse(Example, out var topology, out _));

        var byPrefix = topology!.MatchSite(IPAddress.Parse("2001:db8:1::9"), new GeoPoint(40.7, -74));
        Assert.Equal(("ams", SiteMatchKind.Prefix, "2001:db8:1::/48"), (byPrefix.Site.Id, byPrefix.Kind, byPrefix.Prefix));

        var byLocation = topology.MatchSite(IPAddress.Parse("192.0.2.1"), new GeoPoint(41.0, -73.5));
        Assert.Equal(("nyc", SiteMatchKind.Location), (byLocation.Site.Id, byLocation.Kind));

        var byDefault = topology.MatchSite(IPAddress.Parse("192.0.2.1"), null);
        Assert.Equal(("ams", SiteMatchKind.Default), (byDefault.Site.Id, byDefault.Kind));
    }

    [Fact]
    public void ByDistance_OrdersOtherSitesNearestFirst()
    {
        Assert.True(TopologyParser.TryParse(Example, out var topology, out _));

        Assert.Equal(["fra", "nyc"], topology!.FindSite("ams")!.ByDistance.Select(s => s.Id));
        Assert.Equal(["ams", "fra"], topology.FindSite("nyc")!.ByDistance.Select(s => s.Id));
    }

    [Theory]
    [InlineData("""{"sites":[]}""", "sites: at least one site is required")]
    [InlineData("""{"sites":[{"id":"a b"}]}""", "sites[0].id: 'a b'")]
    [InlineData("""{"sites":[{"id":"a"},{"id":"a"}]}""", "sites[1].id: site 'a' is listed twice")]
    [InlineData("""{"sites":[{"id":"a","prefixes":["10.0.0.0/33"]}]}""", "sites[0].prefixes[0]: '10.0.0.0/33' is not a CIDR prefix")]
    [InlineData("""{"sites":[{"id":"a","prefixes":["10.1.2.3/16"]}]}""", "sites[0].prefixes[0]: '10.1.2.3/16'")]
    [InlineData("""{"sites":[{"id":"a","prefixes":["10.0.0.0/8"]},{"id":"b","prefixes":["10.0.0.0/8"]}]}""", "sites[1].prefixes[0]: '10.0.0.0/8' is already assigned to site 'a'")]
    [InlineData("""{"sites":[{"id":"a","fallback":["zz"]}]}""", "sites[0].fallback[0]: unknown site 'zz'")]
    [InlineData("""{"sites":[{"id":"a","fallback":["a"]}]}""", "cannot fall back to itself")]
    [InlineData("""{"sites":[{"id":"a","location":{"lat":91,"lon":0}}]}""", "sites[0].location: lat must be within")]
    [InlineData("""{"sites":[{"id":"a"}],"nodes":[{"id":"n","site":"b","url":"http://h:1","capacityBps":1}]}""", "nodes[0].site: unknown site 'b'")]
    [InlineData("""{"sites":[{"id":"a"}],"nodes":[{"id":"n","site":"a","url":"ftp://h","capacityBps":1}]}""", "nodes[0].url: 'ftp://h'")]
    [InlineData("""{"sites":[{"id":"a"}],"nodes":[{"id":"n","site":"a","url":"http://h:1/x","capacityBps":1}]}""", "with no path")]
    [InlineData("""{"sites":[{"id":"a"}],"nodes":[{"id":"n","site":"a","url":"http://h:1"}]}""", "nodes[0].capacityBps: must be a positive number")]
    [InlineData("""{"sites":[{"id":"a"}],"nodes":[{"id":"n","site":"a","url":"http://h:1","capacityBps":1},{"id":"n","site":"a","url":"http://h:2","capacityBps":1}]}""", "nodes[1].id: node 'n' is listed twice")]
    [InlineData("""{"sites":[{"id":"a"}],"defaultSite":"b"}""", "defaultSite: unknown site 'b'")]
    [InlineData("""{"sites":[{"id":"a","prefix":["10.0.0.0/8"]}]}""", "'prefix'")]
    [InlineData("""{"sites":[{"id":"a"}""", "not valid topology JSON")]
    [InlineData("null", "empty")]
    public void TryParse_InvalidFile_NamesTheProblem(string json, string expected)
    {
        Assert.False(TopologyParser.TryParse(json, out var topology, out var errors));

        Assert.Null(topology);
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }
}
