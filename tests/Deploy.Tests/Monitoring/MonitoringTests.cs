using System.Text.Json;
using System.Text.RegularExpressions;
using Edge.ControlPlane;
using Edge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using YamlDotNet.RepresentationModel;

namespace Edge.Deploy.Tests.Monitoring;

/// <summary>
/// The Prometheus configuration, alert rules and Grafana dashboard in deploy/ parse, and every metric they name is
/// one a real edge node or control plane exports.
/// </summary>
public sealed partial class MonitoringTests
{
    private const string Topology = """
        {"sites": [{"id": "a", "prefixes": ["127.0.0.0/8"]}],
         "nodes": [{"id": "edge-m", "site": "a", "url": "http://127.0.0.1:1", "capacityBps": 1000000000}]}
        """;

    [Fact]
    public void PrometheusConfig_Parsed_ScrapesEdgesAndControlPlaneAndLoadsTheAlerts()
    {
        var root = Yaml("deploy/prometheus/prometheus.yml");

        var jobs = ((YamlSequenceNode)root["scrape_configs"]).Cast<YamlMappingNode>().ToDictionary(j => j["job_name"].ToString());
        Assert.Equal(["control-plane", "edge"], jobs.Keys.Order());
        Assert.All(jobs.Values, job =>
        {
            Assert.Equal("/metrics", job["metrics_path"].ToString());
            Assert.NotEmpty((YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)job["static_configs"])[0])["targets"]);
        });
        var rules = ((YamlSequenceNode)root["rule_files"]).Select(r => r.ToString()).ToList();
        Assert.All(rules, r => Assert.True(File.Exists(RepositoryFiles.PathOf("deploy/prometheus/" + r)), r));
    }

    [Fact]
    public void Alerts_EveryRule_HasAnExpressionASeverityAndASummary()
    {
        var rules = AlertRules().ToList();

        Assert.Contains(rules, r => r["alert"].ToString() == "EdgeNodeDown");
        Assert.Contains(rules, r => r["alert"].ToString() == "EdgeHitRatioDrop");
        Assert.Contains(rules, r => r["alert"].ToString() == "EdgeOriginErrors");
        Assert.All(rules, rule =>
        {
            Assert.False(string.IsNullOrWhiteSpace(rule["expr"].ToString()));
            Assert.Contains(((YamlMappingNode)rule["labels"])["severity"].ToString(), new[] { "page", "ticket" });
            Assert.False(string.IsNullOrWhiteSpace(((YamlMappingNode)rule["annotations"])["summary"].ToString()));
        });
        Assert.Equal(rules.Count, rules.Select(r => r["alert"].ToString()).Distinct().Count());
    }

    [Fact]
    public void Dashboard_Parsed_EveryPanelHasAQueryAndAUniqueId()
    {
        using var dashboard = JsonDocument.Parse(RepositoryFiles.Read("deploy/grafana/edge-dashboard.json"));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();

        Assert.True(panels.Count >= 10);
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        Assert.All(panels, panel =>
        {
            Assert.False(string.IsNullOrWhiteSpace(panel.GetProperty("title").GetString()));
            Assert.NotEmpty(panel.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()));
        });
    }

    [Fact]
    public async Task AlertsAndDashboard_EveryMetricTheyName_IsExportedByAnEdgeOrTheControlPlane()
    {
        using var cacheDir = new TempDirectory();
        await using var origin = await OriginServer.StartAsync();
        origin.Add("/t/seg1.m4s", new byte[1000], "video/iso.segment");
        await using var edge = await EdgeHost.StartAsync(origin.Url, cacheDir.Path, nodeId: "edge-m");
        (await edge.Client.GetAsync("/t/seg1.m4s")).Dispose();
        (await edge.Client.GetAsync("/t/seg1.m4s")).Dispose();
        using var topologyDir = new TempDirectory();
        var topology = Path.Combine(topologyDir.Path, "topology.json");
        await File.WriteAllTextAsync(topology, Topology);
        await using var controlPlane = ControlPlaneApplication.Build(["--urls=http://127.0.0.1:0", $"--ControlPlane:TopologyFile={topology}", "--ControlPlane:ProbeInterval=01:00:00"], b => b.Logging.ClearProviders());
        await controlPlane.StartAsync();
        var controlPlaneUrl = controlPlane.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient();

        var exported = Families(await edge.Client.GetStringAsync("/metrics"))
            .Concat(Families(await client.GetStringAsync(controlPlaneUrl + "/metrics")))
            .ToHashSet(StringComparer.Ordinal);
        var named = AlertRules().Select(r => r["expr"].ToString())
            .Concat(DashboardQueries())
            .SelectMany(e => MetricName().Matches(e).Select(m => m.Value))
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(named.Count >= 15, string.Join(", ", named));
        var missing = named.Except(exported).ToList();
        Assert.True(missing.Count == 0, "not exported: " + string.Join(", ", missing));
        await controlPlane.StopAsync();
    }

    /// <summary>Family names from Prometheus text format, with a histogram's series names.</summary>
    private static IEnumerable<string> Families(string exposition)
    {
        foreach (var line in exposition.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)))
        {
            var parts = line.Split(' ');
            yield return parts[2];
            if (parts[3] == "histogram")
            {
                yield return parts[2] + "_bucket";
                yield return parts[2] + "_sum";
                yield return parts[2] + "_count";
            }
        }
    }

    private static IEnumerable<YamlMappingNode> AlertRules() =>
        ((YamlSequenceNode)Yaml("deploy/prometheus/alerts.yml")["groups"]).Cast<YamlMappingNode>()
            .SelectMany(g => ((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>());

    private static IEnumerable<string> DashboardQueries()
    {
        using var dashboard = JsonDocument.Parse(RepositoryFiles.Read("deploy/grafana/edge-dashboard.json"));
        return [.. dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)];
    }

    private static YamlMappingNode Yaml(string relative)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(RepositoryFiles.Read(relative));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    [GeneratedRegex(@"\b(?:edge|controlplane)_[a-z_]+\b")]
    private static partial Regex MetricName();
}
