using System.Net;
using System.Text.Json;
using Edge.Contracts;
using Edge.ControlPlane.Configuration;
using Edge.ControlPlane.Health;
using Edge.ControlPlane.Steering;
using Edge.ControlPlane.Topology;
using Edge.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Edge.ControlPlane.Tests;

/// <summary>A topology file, health tracker and steerer on a fake clock: the control plane without its HTTP front.</summary>
internal sealed class SteeringWorld : IDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private readonly TempDirectory _directory = new();

    private SteeringWorld(string json, ControlPlaneOptions options)
    {
        Options = options;
        File.WriteAllText(TopologyPath, json);
        options.TopologyFile = TopologyPath;
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        Store = new TopologyStore(wrapped, Time, NullLogger<TopologyStore>.Instance);
        Store.Load();
        Tracker = new NodeHealthTracker(Store, wrapped, Time, NullLogger<NodeHealthTracker>.Instance);
        Steerer = new Steerer(Tracker, new RendezvousPlacementPolicy(), wrapped);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));

    public ControlPlaneOptions Options { get; }

    public string TopologyPath => Path.Combine(_directory.Path, "topology.json");

    public TopologyStore Store { get; }

    public NodeHealthTracker Tracker { get; }

    public Steerer Steerer { get; }

    public NetworkTopology Topology => Store.Current;

    public static SteeringWorld Create(string json, Action<ControlPlaneOptions>? configure = null)
    {
        var options = new ControlPlaneOptions();
        configure?.Invoke(options);
        return new SteeringWorld(json, options);
    }

    /// <summary>One site per entry: (id, node count, prefixes, fallback sites, lat/lon), every node 10 Gb/s unless told.</summary>
    public static string Json(params SiteSpec[] sites)
    {
        var port = 20000;
        var document = new
        {
            sites = sites.Select(s => new
            {
                id = s.Id,
                location = s.Lat is null ? null : new { lat = s.Lat, lon = s.Lon },
                prefixes = s.Prefixes,
                fallback = s.Fallback,
            }),
            nodes = sites.SelectMany(s => Enumerable.Range(1, s.Nodes).Select(i => new
            {
                id = $"{s.Id}-{i}",
                site = s.Id,
                url = $"http://127.0.0.1:{port++}",
                capacityBps = s.CapacityOf?.Invoke(i) ?? 10_000_000_000L,
            })),
        };
        return JsonSerializer.Serialize(document, JsonOptions);
    }

    public void Heartbeat(string nodeId, bool ready = true, bool draining = false, long egress = 0, bool healthy = true) =>
        Assert.True(Tracker.RecordHeartbeat(new NodeReport { NodeId = nodeId, Ready = ready, Draining = draining, EgressBitsPerSecond = egress, Healthy = healthy }));

    public void AllUp()
    {
        foreach (var node in Topology.Nodes)
        {
            Heartbeat(node.Id);
        }
    }

    public SteeringDecision Decide(string path, string client = "127.0.0.1", bool count = false) =>
        Steerer.Decide(path, IPAddress.Parse(client), null, count);

    public string? Best(string path, string client = "127.0.0.1") => Decide(path, client).Best?.Id;

    public void Dispose()
    {
        Store.Dispose();
        _directory.Dispose();
    }
}

internal sealed record SiteSpec(string Id, int Nodes, string[]? Prefixes = null, string[]? Fallback = null, double? Lat = null, double? Lon = null)
{
    public Func<int, long>? CapacityOf { get; init; }
}
