using System.Text.Json;
using System.Text.RegularExpressions;
using Edge.ControlPlane;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using YamlDotNet.RepresentationModel;

namespace Edge.Deploy.Tests.Compose;

/// <summary>
/// deploy/compose agrees with the code and the Dockerfile: targets that exist, the paths the images expect, ports
/// that match the topology, and a topology the real control plane loads.
/// </summary>
public sealed partial class ComposeTests
{
    private static readonly YamlMappingNode Services = (YamlMappingNode)Load()["services"];

    [Fact]
    public void Compose_Services_AnOriginTwoControlPlanesAndThreeEdgesFromDockerfileTargets()
    {
        var dockerfile = RepositoryFiles.Read("Dockerfile");
        var targets = DockerTarget().Matches(dockerfile).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var built = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, service) in All())
        {
            if (service.Children.TryGetValue("build", out var build))
            {
                var target = ((YamlMappingNode)build)["target"].ToString();
                Assert.Contains(target, targets);
                built[service["image"].ToString()] = target;
            }

            Assert.Equal("host", service["network_mode"].ToString());
            Assert.True(built.ContainsKey(service["image"].ToString()) || All().Any(s => s.Service.Children.ContainsKey("build") && s.Service["image"].ToString() == service["image"].ToString()), name);
        }

        Assert.Equal("edge", built["edge-server"]);
        Assert.Equal("control-plane", built["edge-control-plane"]);
        Assert.Equal("encoder", built["edge-encoder"]);
        Assert.Equal(3, Edges().Count());
        Assert.Equal(2, All().Count(s => s.Service["image"].ToString() == "edge-control-plane"));
    }

    [Fact]
    public void Compose_Edges_PortsOriginAndControlPlanesAgreeWithTheTopology()
    {
        using var topology = JsonDocument.Parse(RepositoryFiles.Read("deploy/compose/topology.json"));
        var nodeUrls = topology.RootElement.GetProperty("nodes").EnumerateArray()
            .ToDictionary(n => n.GetProperty("id").GetString()!, n => n.GetProperty("url").GetString()!);
        var originCommand = ((YamlSequenceNode)Service("origin")["command"]).Select(c => c.ToString()).ToList();
        var originUrl = originCommand[originCommand.IndexOf("--urls") + 1];
        var controlPlanes = All().Where(s => s.Service["image"].ToString() == "edge-control-plane")
            .Select(s => Environment(s.Service)["ASPNETCORE_URLS"]).Order(StringComparer.Ordinal).ToList();

        foreach (var edge in Edges())
        {
            var env = Environment(edge);
            Assert.Equal(nodeUrls[env["Edge__NodeId"]], env["ASPNETCORE_URLS"]);
            Assert.Equal(originUrl, env["Edge__OriginUrl"]);
            Assert.Equal(controlPlanes, new[] { env["Edge__ControlPlaneUrls__0"], env["Edge__ControlPlaneUrls__1"] }.Order(StringComparer.Ordinal));
            Assert.Contains(":/var/cache/edge", ((YamlSequenceNode)edge["volumes"])[0].ToString(), StringComparison.Ordinal);
        }

        // The paths the images are built to expect.
        var dockerfile = RepositoryFiles.Read("Dockerfile");
        Assert.Contains("Edge__CacheDirectory=/var/cache/edge", dockerfile, StringComparison.Ordinal);
        Assert.Contains("ControlPlane__TopologyFile=/etc/edge/topology.json", dockerfile, StringComparison.Ordinal);
        Assert.All(All().Where(s => s.Service["image"].ToString() == "edge-control-plane"),
            s => Assert.Equal("./topology.json:/etc/edge/topology.json:ro", ((YamlSequenceNode)s.Service["volumes"])[0].ToString()));
    }

    [Fact]
    public void Compose_EveryEdgeAndControlPlaneVariable_NamesARealOption()
    {
        var variables = All().Where(s => s.Service.Children.ContainsKey("environment")).SelectMany(s => Environment(s.Service).Keys).ToList();

        Assert.Contains("Edge__AdminCorsOrigins__0", variables);
        Assert.All(variables, OptionNames.AssertNamesAnOption);
    }

    [Fact]
    public async Task Secrets_MadeBySecretsScript_EveryEdgeGetsItsOwnTokenUnderTheControlPlanesKey()
    {
        using var directory = new TempDirectory();
        File.Copy(RepositoryFiles.PathOf("deploy/compose/secrets.sh"), Path.Combine(directory.Path, "secrets.sh"));
        var (code, output) = await RunAsync("bash", Path.Combine(directory.Path, "secrets.sh"));
        Assert.True(code == 0, output);
        var values = (await File.ReadAllLinesAsync(Path.Combine(directory.Path, ".env")))
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

        foreach (var service in All().Where(s => s.Service["image"].ToString() == "edge-control-plane"))
        {
            var env = Environment(service.Service);
            Assert.Equal(values["EDGE_NODE_KEY"], Substitute(env["ControlPlane__NodeKeys__0"], values));
            Assert.Equal(values["EDGE_ADMIN_TOKEN"], Substitute(env["ControlPlane__AdminTokens__0"], values));
        }

        var tokens = new HashSet<string>(StringComparer.Ordinal);
        foreach (var edge in Edges())
        {
            var env = Environment(edge);
            var token = Substitute(env["Edge__ControlPlaneToken"], values);
            Assert.Equal(Edge.Contracts.NodeCredentials.Derive(values["EDGE_NODE_KEY"], env["Edge__NodeId"]), token);
            Assert.Equal(values["EDGE_ADMIN_TOKEN"], Substitute(env["Edge__AdminTokens__0"], values));
            Assert.True(tokens.Add(token));
        }

        // A second run keeps the secrets the running deployment uses.
        var before = await File.ReadAllTextAsync(Path.Combine(directory.Path, ".env"));
        Assert.Equal(0, (await RunAsync("bash", Path.Combine(directory.Path, "secrets.sh"))).Code);
        Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(directory.Path, ".env")));
    }

    [Fact]
    public async Task Topology_LoadedByTheRealControlPlane_TwoSitesThreeNodes()
    {
        await using var app = ControlPlaneApplication.Build(
            ["--urls=http://127.0.0.1:0", $"--ControlPlane:TopologyFile={RepositoryFiles.PathOf("deploy/compose/topology.json")}"],
            builder => builder.Logging.ClearProviders());
        await app.StartAsync();
        using var client = new HttpClient();
        var url = app.Urls.First();

        using var topology = JsonDocument.Parse(await client.GetStringAsync(url + "/v1/topology"));

        Assert.Equal(2, topology.RootElement.GetProperty("sites").GetArrayLength());
        Assert.Equal(3, topology.RootElement.GetProperty("sites").EnumerateArray().Sum(site => site.GetProperty("nodes").GetArrayLength()));
        await app.StopAsync();
    }

    private static IEnumerable<(string Name, YamlMappingNode Service)> All() =>
        Services.Children.Select(c => (c.Key.ToString(), Effective((YamlMappingNode)c.Value)));

    /// <summary>Replaces a compose <c>${NAME:?message}</c> reference; a secret must never be written in the file itself.</summary>
    private static string Substitute(string value, Dictionary<string, string> values)
    {
        var match = SecretReference().Match(value);
        Assert.True(match.Success, value + " is not a ${NAME:?...} reference");
        return values[match.Groups[1].Value];
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string argument)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, [argument])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, await output + await error);
    }

    [GeneratedRegex(@"^\$\{([A-Z0-9_]+):\?[^}]+\}$")]
    private static partial Regex SecretReference();

    private static IEnumerable<YamlMappingNode> Edges() => All().Where(s => s.Service["image"].ToString() == "edge-server").Select(s => s.Service);

    private static YamlMappingNode Service(string name) => Effective((YamlMappingNode)Services[name]);

    /// <summary>A service with its <c>&lt;&lt;</c> merge key applied (the service's own keys win).</summary>
    private static YamlMappingNode Effective(YamlMappingNode service)
    {
        var merged = new YamlMappingNode();
        if (service.Children.TryGetValue("<<", out var anchor))
        {
            foreach (var (key, value) in ((YamlMappingNode)anchor).Children)
            {
                merged.Children[key] = value;
            }
        }

        foreach (var (key, value) in service.Children.Where(c => c.Key.ToString() != "<<"))
        {
            merged.Children[key] = value;
        }

        return merged;
    }

    private static Dictionary<string, string> Environment(YamlMappingNode service) =>
        ((YamlMappingNode)service["environment"]).Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString(), StringComparer.Ordinal);

    private static YamlMappingNode Load()
    {
        var stream = new YamlStream();
        using var reader = new StringReader(RepositoryFiles.Read("deploy/compose/compose.yaml"));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    [GeneratedRegex(@"^FROM\s+\S+\s+AS\s+(\S+)", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex DockerTarget();
}
