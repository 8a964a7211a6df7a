using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Edge.Deploy.Tests.Monitoring;

/// <summary>The alert rules and dashboard in deploy/, read as Prometheus and Grafana read them.</summary>
internal static partial class MonitoringFiles
{
    public static IEnumerable<YamlMappingNode> AlertRules() =>
        ((YamlSequenceNode)Yaml("deploy/prometheus/alerts.yml")["groups"]).Cast<YamlMappingNode>()
            .SelectMany(g => ((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>());

    /// <summary>Every panel's query, with the dashboard's <c>$node</c> variable as Grafana expands "All".</summary>
    public static IReadOnlyList<string> DashboardQueries()
    {
        using var dashboard = JsonDocument.Parse(RepositoryFiles.Read("deploy/grafana/edge-dashboard.json"));
        return [.. dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!.Replace("$node", ".*", StringComparison.Ordinal))];
    }

    /// <summary>The edge and control-plane metric names <paramref name="expression"/> refers to.</summary>
    public static IEnumerable<string> MetricNames(string expression) => MetricName().Matches(expression).Select(m => m.Value);

    public static YamlMappingNode Yaml(string relative)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(RepositoryFiles.Read(relative));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    [GeneratedRegex(@"\b(?:edge|controlplane)_[a-z_]+\b")]
    private static partial Regex MetricName();
}
