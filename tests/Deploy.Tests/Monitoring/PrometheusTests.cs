using System.Globalization;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Edge.Deploy.Tests.Monitoring;

/// <summary>
/// The alert rules and dashboard as Prometheus itself sees them: <c>promtool</c> checks and unit-tests the rules, and
/// a real Prometheus scraping a real edge and control plane evaluates every alert and every dashboard query.
/// </summary>
public sealed class PrometheusTests
{
    [Fact]
    public async Task Promtool_CheckConfigAndRules_Succeeds()
    {
        var (status, output) = await PromtoolAsync("check", "config", RepositoryFiles.PathOf("deploy/prometheus/prometheus.yml"));

        Assert.True(status == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
        Assert.Contains($"{MonitoringFiles.AlertRules().Count()} rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_TestRules_EveryAlertFiresAndStaysSilentWhereItShould()
    {
        var tests = RepositoryFiles.PathOf("deploy/prometheus/alerts.test.yml");

        var (status, output) = await PromtoolAsync("test", "rules", tests);

        Assert.True(status == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);

        // Every alert is tested, each both firing and silent.
        var cases = ((YamlSequenceNode)MonitoringFiles.Yaml("deploy/prometheus/alerts.test.yml")["tests"])
            .Cast<YamlMappingNode>()
            .SelectMany(t => ((YamlSequenceNode)t["alert_rule_test"]).Cast<YamlMappingNode>())
            .Select(c => (Alert: c["alertname"].ToString(), Fires: ((YamlSequenceNode)c["exp_alerts"]).Children.Count > 0))
            .ToList();
        foreach (var alert in MonitoringFiles.AlertRules().Select(r => r["alert"].ToString()))
        {
            Assert.True(cases.Any(c => c.Alert == alert && c.Fires), $"{alert} is never shown firing");
            Assert.True(cases.Any(c => c.Alert == alert && !c.Fires), $"{alert} is never shown silent");
        }
    }

    [Fact]
    public async Task Prometheus_ScrapingARealEdgeAndControlPlane_EvaluatesEveryAlertAndDashboardQuery()
    {
        await using var cdn = await MonitoredCdn.StartAsync();
        var edge = new Uri(cdn.Edge.Url).Authority;
        var controlPlane = new Uri(cdn.ControlPlaneUrl).Authority;
        var config = $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - alerts.yml
            scrape_configs:
              - job_name: edge
                static_configs:
                  - targets: ["{edge}"]
              - job_name: control-plane
                static_configs:
                  - targets: ["{controlPlane}"]
            """;
        await using var prometheus = await PrometheusServer.StartAsync(config, RepositoryFiles.PathOf("deploy/prometheus/alerts.yml"));

        // Two scrapes of each target, so rate() over them has two points, and one evaluation of every rule after that.
        await Poll.UntilAsync(async () => (await prometheus.QueryAsync("count_over_time(up[1m]) >= 2 and up == 1")).GetArrayLength() == 2, "two good scrapes of the edge and the control plane", TimeSpan.FromSeconds(60));
        var since = DateTimeOffset.UtcNow;
        await Poll.UntilAsync(async () => RuleEvaluations(await prometheus.ApiAsync("/api/v1/rules")).All(r => r.Last > since), "every alert rule to be evaluated", TimeSpan.FromSeconds(60));

        var rules = RuleEvaluations(await prometheus.ApiAsync("/api/v1/rules")).ToList();
        Assert.Equal(MonitoringFiles.AlertRules().Count(), rules.Count);
        Assert.All(rules, r => Assert.True(r.Health == "ok", $"{r.Name}: {r.Health} {r.Error}"));

        // The nodes are healthy: nothing fires.
        Assert.Equal(0, (await prometheus.ApiAsync("/api/v1/alerts")).GetProperty("alerts").EnumerateArray().Count(a => a.GetProperty("state").GetString() == "firing"));

        // Every metric a rule or panel names was scraped (families with no series yet are known by their metadata).
        var metadata = await prometheus.ApiAsync("/api/v1/metadata");
        var known = metadata.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var queries = MonitoringFiles.AlertRules().Select(r => r["expr"].ToString()).Concat(MonitoringFiles.DashboardQueries()).ToList();
        var missing = queries.SelectMany(MonitoringFiles.MetricNames).Distinct()
            .Where(name => !known.Contains(name) && !known.Contains(Family(name)))
            .ToList();
        Assert.True(missing.Count == 0, "scraped by no target: " + string.Join(", ", missing));

        // Every query evaluates; the ones over traffic the edge served return it.
        foreach (var query in queries)
        {
            await prometheus.QueryAsync(query);
        }

        Assert.NotEqual(0, (await prometheus.QueryAsync(MonitoringFiles.DashboardQueries()[0])).GetArrayLength());
        var served = await prometheus.QueryAsync("sum(edge_requests_total{node=\"edge-m\"})");
        Assert.True(double.Parse(served[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture) >= 2);
        Assert.Equal("1", (await prometheus.QueryAsync("controlplane_nodes"))[0].GetProperty("value")[1].GetString());
    }

    /// <summary>A series name's family as OpenMetrics names it: counters without <c>_total</c>, histograms without their suffixes.</summary>
    private static string Family(string name) =>
        name.EndsWith("_total", StringComparison.Ordinal) ? name[..^6]
        : name.EndsWith("_bucket", StringComparison.Ordinal) ? name[..^7]
        : name.EndsWith("_count", StringComparison.Ordinal) ? name[..^6]
        : name.EndsWith("_sum", StringComparison.Ordinal) ? name[..^4]
        : name;

    private static IEnumerable<(string Name, string Health, string? Error, DateTimeOffset Last)> RuleEvaluations(JsonElement rules) =>
        rules.GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Select(r => (
                r.GetProperty("name").GetString()!,
                r.GetProperty("health").GetString()!,
                r.TryGetProperty("lastError", out var error) ? error.GetString() : null,
                r.TryGetProperty("lastEvaluation", out var last) ? DateTimeOffset.Parse(last.GetString()!, CultureInfo.InvariantCulture) : DateTimeOffset.MinValue));

    private static Task<(int ExitCode, string Output)> PromtoolAsync(params string[] args) => ToolProcess.RunAsync("promtool", TimeSpan.FromMinutes(1), args);
}
