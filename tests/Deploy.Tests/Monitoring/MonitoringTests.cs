using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Edge.Deploy.Tests.Monitoring;

/// <summary>
/// The Prometheus configuration, alert rules and Grafana dashboard in deploy/ parse, and every metric they name is
/// one a real edge node or control plane exports.
/// </summary>
public sealed class MonitoringTests
{
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
        await using var cdn = await MonitoredCdn.StartAsync();
        using var client = new HttpClient();

        var exported = Families(await cdn.Edge.Client.GetStringAsync("/metrics"))
            .Concat(Families(await client.GetStringAsync(cdn.ControlPlaneUrl + "/metrics")))
            .ToHashSet(StringComparer.Ordinal);
        var named = AlertRules().Select(r => r["expr"].ToString())
            .Concat(MonitoringFiles.DashboardQueries())
            .SelectMany(MonitoringFiles.MetricNames)
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(named.Count >= 15, string.Join(", ", named));
        var missing = named.Except(exported).ToList();
        Assert.True(missing.Count == 0, "not exported: " + string.Join(", ", missing));
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

    private static IEnumerable<YamlMappingNode> AlertRules() => MonitoringFiles.AlertRules();

    private static YamlMappingNode Yaml(string relative) => MonitoringFiles.Yaml(relative);
}
