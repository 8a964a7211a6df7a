using System.Net;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Edge.Contracts;
using Edge.ControlPlane.Configuration;
using Edge.ControlPlane.Health;
using Edge.ControlPlane.Steering;
using Edge.ControlPlane.Topology;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Benchmarks.Steering;

/// <summary>
/// One steering decision in a large network: 100 sites of 10 nodes (1,000 nodes) and 100,000 client prefixes
/// (IPv4 /24s and IPv6 /48s), every node up. The clock is frozen so the health view is not rebuilt mid-run.
/// </summary>
[MemoryDiagnoser]
public class SteeringDecisionBenchmarks : IDisposable
{
    private const int Sites = 100;
    private const int NodesPerSite = 10;
    private const int PrefixesPerSite = 1_000;

    private readonly IPAddress _v4Client = IPAddress.Parse("10.42.17.9");
    private readonly IPAddress _v6Client = IPAddress.Parse("2001:db8:2b:11::9");
    private readonly IPAddress _unknownClient = IPAddress.Parse("192.0.2.1");
    private readonly GeoPoint _location = new(48.1, 11.6);
    private string _directory = "";
    private TopologyStore _store = null!;
    private Steerer _steerer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("edge-bench-").FullName;
        var path = Path.Combine(_directory, "topology.json");
        File.WriteAllText(path, BuildTopology());
        var options = Options.Create(new ControlPlaneOptions { TopologyFile = path });
        var time = new FakeTimeProvider();
        _store = new TopologyStore(options, time, NullLogger<TopologyStore>.Instance);
        _store.Load();
        var tracker = new NodeHealthTracker(_store, options, time, NullLogger<NodeHealthTracker>.Instance);
        foreach (var node in _store.Current.Nodes)
        {
            tracker.RecordHeartbeat(new NodeReport { NodeId = node.Id, Ready = true, EgressBitsPerSecond = 1_000_000_000 });
        }

        _steerer = new Steerer(tracker, new RendezvousPlacementPolicy(), options);
        if (_store.Current.PrefixCount != Sites * PrefixesPerSite || _steerer.Decide("/t/master.m3u8", _v4Client, null, false).Candidates.Count != 4
            || _store.Current.MatchSite(_v6Client, null).Kind != SiteMatchKind.Prefix)
        {
            throw new InvalidOperationException("the benchmark topology is not what it should be");
        }
    }

    [Benchmark(Baseline = true)]
    public string MatchSiteByPrefix() => _store.Current.MatchSite(_v4Client, null).Site.Id;

    [Benchmark]
    public int DecideIPv4Client() => _steerer.Decide("/title-123/720p/seg_00042.m4s", _v4Client, null, countDecision: false).Candidates.Count;

    [Benchmark]
    public int DecideIPv6Client() => _steerer.Decide("/title-123/720p/seg_00042.m4s", _v6Client, null, countDecision: false).Candidates.Count;

    [Benchmark]
    public int DecideByLocation() => _steerer.Decide("/title-123/720p/seg_00042.m4s", _unknownClient, _location, countDecision: false).Candidates.Count;

    public void Dispose()
    {
        _store?.Dispose();
        if (_directory.Length > 0)
        {
            Directory.Delete(_directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    private static string BuildTopology()
    {
        var random = new Random(42);
        var sites = Enumerable.Range(0, Sites).Select(s => new
        {
            id = $"site-{s}",
            location = new { lat = -60 + random.NextDouble() * 120, lon = -180 + random.NextDouble() * 360 },
            prefixes = Enumerable.Range(0, PrefixesPerSite).Select(p =>
            {
                var n = s * PrefixesPerSite + p;
                var k = n / 2;
                return n % 2 == 0 ? $"10.{k / 256}.{k % 256}.0/24" : $"2001:{0xdb8 + (n / 65536):x}:{n % 65536:x}::/48";
            }).ToArray(),
            fallback = new[] { $"site-{(s + 1) % Sites}" },
        });
        var nodes = Enumerable.Range(0, Sites * NodesPerSite).Select(i => new
        {
            id = $"node-{i}",
            site = $"site-{i / NodesPerSite}",
            url = $"http://10.200.{i / 256}.{i % 256}:8080",
            capacityBps = 10_000_000_000L,
        });
        return JsonSerializer.Serialize(new { sites, nodes });
    }
}
