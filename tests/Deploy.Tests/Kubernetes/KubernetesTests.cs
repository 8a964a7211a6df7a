using System.Text.Json;
using System.Text.RegularExpressions;
using Edge.ControlPlane;
using Edge.EdgeServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using YamlDotNet.RepresentationModel;

namespace Edge.Deploy.Tests.Kubernetes;

/// <summary>
/// deploy/k8s agrees with the code and the Dockerfile: images built by its targets, ports and probes the servers
/// answer, settings that name real options and pass their validation, node ids and URLs that match the topology.
/// </summary>
public sealed partial class KubernetesTests
{
    private static readonly List<(string File, YamlMappingNode Root)> Documents = LoadAll();

    [Fact]
    public void Manifests_EveryDocument_HasApiVersionKindAndName()
    {
        Assert.True(Documents.Count >= 10, $"{Documents.Count} documents");
        Assert.All(Documents, d =>
        {
            Assert.NotEmpty(d.Root["apiVersion"].ToString());
            Assert.NotEmpty(d.Root["kind"].ToString());
            Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", ((YamlMappingNode)d.Root["metadata"])["name"].ToString());
        });
        Assert.Equal(Documents.Count, Documents.Select(d => d.Root["kind"] + "/" + Name(d.Root)).Distinct().Count());
    }

    [Fact]
    public void Images_EveryContainer_IsBuiltByADockerfileTarget()
    {
        var dockerfile = RepositoryFiles.Read("Dockerfile");
        var targets = DockerTarget().Matches(dockerfile).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var images = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["edge-server"] = "edge",
            ["edge-control-plane"] = "control-plane",
            ["edge-encoder"] = "encoder",
        };

        var used = Containers().Select(c => c.Container["image"].ToString().Split(':')[0]).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(images.Keys.Order(StringComparer.Ordinal), used.Order(StringComparer.Ordinal));
        foreach (var (image, target) in images)
        {
            Assert.Contains(target, targets);
            Assert.Contains($"-t {image} .", dockerfile, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Edges_StatefulSets_PersistentCacheAtTheImagesDirectoryAndNodesThatMatchTheTopology()
    {
        var dockerfile = RepositoryFiles.Read("Dockerfile");
        var topology = Topology();
        var nodes = topology.RootElement.GetProperty("nodes").EnumerateArray()
            .ToDictionary(n => n.GetProperty("id").GetString()!, n => (Site: n.GetProperty("site").GetString()!, Url: n.GetProperty("url").GetString()!));
        var pods = new List<string>();

        foreach (var set in Kind("StatefulSet"))
        {
            var spec = (YamlMappingNode)set["spec"];
            var template = (YamlMappingNode)spec["template"];
            var container = Assert.Single(Containers(template));
            var env = Environment(container);
            var port = Port(container, "http");
            var site = ((YamlMappingNode)((YamlMappingNode)template["metadata"])["labels"])["site"].ToString();
            Assert.Equal("edge-server", container["image"].ToString().Split(':')[0]);

            // The cache lives on the claim template's volume, where the image keeps it.
            var claim = (YamlMappingNode)Assert.Single((YamlSequenceNode)spec["volumeClaimTemplates"]);
            var mount = Assert.Single((YamlSequenceNode)container["volumeMounts"], m => ((YamlMappingNode)m)["name"].ToString() == "cache");
            Assert.Equal("cache", ((YamlMappingNode)claim["metadata"])["name"].ToString());
            Assert.Equal("ReadWriteOnce", Assert.Single((YamlSequenceNode)((YamlMappingNode)claim["spec"])["accessModes"]).ToString());
            Assert.Equal("/var/cache/edge", ((YamlMappingNode)mount)["mountPath"].ToString());
            Assert.Equal("/var/cache/edge", env["Edge__CacheDirectory"]);
            Assert.Contains("Edge__CacheDirectory=/var/cache/edge", dockerfile, StringComparison.Ordinal);
            Assert.Equal("metadata.name", env["Edge__NodeId"]);
            Assert.Equal(8080, port);
            Assert.Contains("EXPOSE 8080", dockerfile, StringComparison.Ordinal);

            // Each pod's name is its node id; the topology lists it in the StatefulSet's site at its stable DNS name.
            var service = Assert.Single(Kind("Service"), s => Name(s) == spec["serviceName"].ToString());
            Assert.Equal("None", ((YamlMappingNode)service["spec"])["clusterIP"].ToString());
            AssertSelects(service, template);
            for (var i = 0; i < int.Parse(spec["replicas"].ToString(), System.Globalization.CultureInfo.InvariantCulture); i++)
            {
                var pod = $"{Name(set)}-{i}";
                pods.Add(pod);
                Assert.True(nodes.TryGetValue(pod, out var node), pod + " is not in the topology");
                Assert.Equal(site, node.Site);
                Assert.Equal($"http://{pod}.{Name(service)}:{port}", node.Url);
            }
        }

        Assert.Equal(nodes.Keys.Order(StringComparer.Ordinal), pods.Order(StringComparer.Ordinal));
        Assert.Equal(2, nodes.Values.Select(n => n.Site).Distinct().Count());
    }

    [Fact]
    public void ControlPlane_Deployment_ReplicatedAndEveryEdgeReportsToEveryReplica()
    {
        var deployment = Assert.Single(Kind("Deployment"), d => Name(d) == "control-plane");
        var spec = (YamlMappingNode)deployment["spec"];
        var template = (YamlMappingNode)spec["template"];
        var container = Assert.Single(Containers(template));
        var env = Environment(container);
        Assert.True(int.Parse(spec["replicas"].ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 2);
        Assert.Equal(8090, Port(container, "http"));
        Assert.Contains("EXPOSE 8090", RepositoryFiles.Read("Dockerfile"), StringComparison.Ordinal);

        // The topology file is where the image looks for it, mounted from the ConfigMap.
        Assert.Equal("/etc/edge/topology.json", env["ControlPlane__TopologyFile"]);
        Assert.Contains("ControlPlane__TopologyFile=/etc/edge/topology.json", RepositoryFiles.Read("Dockerfile"), StringComparison.Ordinal);
        var mount = (YamlMappingNode)Assert.Single((YamlSequenceNode)container["volumeMounts"], m => ((YamlMappingNode)m)["mountPath"].ToString() == "/etc/edge");
        var volume = (YamlMappingNode)Assert.Single((YamlSequenceNode)((YamlMappingNode)template["spec"])["volumes"], v => ((YamlMappingNode)v)["name"].ToString() == mount["name"].ToString());
        Assert.Equal("edge-topology", ((YamlMappingNode)volume["configMap"])["name"].ToString());

        // Edges resolve the headless Service to every replica's address.
        var replicas = Assert.Single(Kind("Service"), s => ((YamlMappingNode)s["spec"]).Children.TryGetValue("clusterIP", out var ip) && ip.ToString() == "None" && Name(s).StartsWith("control-plane", StringComparison.Ordinal));
        AssertSelects(replicas, template);
        AssertSelects(Assert.Single(Kind("Service"), s => Name(s) == "control-plane"), template);
        var servicePort = ((YamlMappingNode)Assert.Single((YamlSequenceNode)((YamlMappingNode)replicas["spec"])["ports"]))["port"].ToString();
        foreach (var edge in Kind("StatefulSet").Select(s => Environment(Assert.Single(Containers(Template(s))))))
        {
            Assert.Equal($"http://{Name(replicas)}:{servicePort}", edge["Edge__ControlPlaneUrls__0"]);
            Assert.Equal("true", edge["Edge__ControlPlaneResolveAll"]);
        }
    }

    [Fact]
    public void Origin_ServesTheVolumeTheEncodeJobsPublishTo()
    {
        var origin = Assert.Single(Kind("Deployment"), d => Name(d) == "origin");
        var template = Template(origin);
        var container = Assert.Single(Containers(template));
        var args = ((YamlSequenceNode)container["args"]).Select(a => a.ToString()).ToList();
        var claims = Kind("PersistentVolumeClaim").Select(Name).ToList();
        var volume = (YamlMappingNode)Assert.Single((YamlSequenceNode)((YamlMappingNode)template["spec"])["volumes"], v => ((YamlMappingNode)v).Children.ContainsKey("persistentVolumeClaim"));

        Assert.Equal("serve", args[0]);
        Assert.Equal("/data/content", args[args.IndexOf("--content") + 1]);
        Assert.Contains(((YamlMappingNode)volume["persistentVolumeClaim"])["claimName"].ToString(), claims);
        var port = Port(container, "http");
        Assert.EndsWith(":" + port, args[args.IndexOf("--urls") + 1], StringComparison.Ordinal);

        // The Jobs write titles where the origin serves them; the edges fill from the origin's Service.
        var jobs = Kind("Job").Select(j => Assert.Single(Containers(Template(j)))).ToList();
        Assert.Equal(["plan", "encode-rendition", "package"], jobs.Select(j => ((YamlSequenceNode)j["args"])[0].ToString()));
        Assert.Contains(jobs, j => ((YamlSequenceNode)j["args"]).Any(a => a.ToString().StartsWith("/data/content/", StringComparison.Ordinal)));
        var service = Assert.Single(Kind("Service"), s => Name(s) == "origin");
        AssertSelects(service, template);
        var servicePort = ((YamlMappingNode)Assert.Single((YamlSequenceNode)((YamlMappingNode)service["spec"])["ports"]))["port"].ToString();
        Assert.All(Kind("StatefulSet"), s => Assert.Equal($"http://origin:{servicePort}",
            Environment(Assert.Single(Containers(Template(s))))["Edge__OriginUrl"]));
    }

    [Fact]
    public void Settings_EveryEdgeAndControlPlaneVariable_NamesARealOption()
    {
        foreach (var (_, container) in Containers())
        {
            foreach (var name in Environment(container).Keys)
            {
                OptionNames.AssertNamesAnOption(name);
            }
        }
    }

    [Fact]
    public void Edges_HeartbeatToken_ReadFromTheNodeTokensSecretByPodNameAndTheControlPlaneHoldsTheKey()
    {
        var header = RepositoryFiles.Read("deploy/k8s/edges.yaml");
        foreach (var set in Kind("StatefulSet"))
        {
            var template = Template(set);
            var container = Assert.Single(Containers(template));
            var env = Environment(container);
            Assert.Equal("metadata.name", env["Edge__NodeId"]);
            var file = env["Edge__ControlPlaneTokenFile"];
            Assert.EndsWith("/$(Edge__NodeId)", file, StringComparison.Ordinal);
            var directory = file[..file.LastIndexOf('/')];
            var mount = (YamlMappingNode)Assert.Single((YamlSequenceNode)container["volumeMounts"], m => ((YamlMappingNode)m)["mountPath"].ToString() == directory);
            var volume = (YamlMappingNode)Assert.Single((YamlSequenceNode)((YamlMappingNode)template["spec"])["volumes"], v => ((YamlMappingNode)v)["name"].ToString() == mount["name"].ToString());
            Assert.Equal("edge-node-tokens", ((YamlMappingNode)volume["secret"])["secretName"].ToString());

            // The header's commands make a token for every pod the StatefulSet runs.
            var replicas = int.Parse(((YamlMappingNode)set["spec"])["replicas"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.All(Enumerable.Range(0, replicas), i => Assert.Contains($" {Name(set)}-{i}", header, StringComparison.Ordinal));
        }

        var controlPlane = Assert.Single(Containers(Template(Assert.Single(Kind("Deployment"), d => Name(d) == "control-plane"))));
        var key = (YamlMappingNode)Assert.Single((YamlSequenceNode)controlPlane["env"], e => ((YamlMappingNode)e)["name"].ToString() == "ControlPlane__NodeKeys__0");
        var secret = (YamlMappingNode)((YamlMappingNode)key["valueFrom"])["secretKeyRef"];
        Assert.Equal("edge-node-key", secret["name"].ToString());
        Assert.False(secret.Children.ContainsKey("optional"));
    }

    [Fact]
    public async Task Edge_ManifestSettings_PassValidationAndTheProbesAnswer()
    {
        var set = Kind("StatefulSet").First();
        var container = Assert.Single(Containers(Template(set)));
        using var cache = new TempDirectory();
        var nodeId = $"{Name(set)}-0";

        // The token secret as the pod sees it: a file named by the pod.
        var tokenFile = Path.Combine(cache.Path + "-tokens", nodeId);
        Directory.CreateDirectory(Path.GetDirectoryName(tokenFile)!);
        await File.WriteAllTextAsync(tokenFile, Edge.Contracts.NodeCredentials.Derive("0123456789abcdef0123456789abcdef", nodeId));
        var settings = Environment(container)
            .Where(e => e.Key.StartsWith("Edge__", StringComparison.Ordinal) && e.Value != "secret")
            .Select(e => e.Key switch
            {
                "Edge__NodeId" => $"--Edge:NodeId={nodeId}",
                "Edge__CacheDirectory" => $"--Edge:CacheDirectory={cache.Path}",
                "Edge__ControlPlaneTokenFile" => $"--Edge:ControlPlaneTokenFile={tokenFile}",
                _ => $"--{e.Key.Replace("__", ":", StringComparison.Ordinal)}={e.Value}",
            });

        await using var app = EdgeApplication.Build(["--urls=http://127.0.0.1:0", .. settings], builder => builder.Logging.ClearProviders());
        await app.StartAsync();
        await AssertProbesAsync(app.Urls.First(), container);
        await app.StopAsync();
    }

    [Fact]
    public async Task ControlPlane_ManifestTopologyAndSettings_LoadAndTheProbesAnswer()
    {
        var deployment = Assert.Single(Kind("Deployment"), d => Name(d) == "control-plane");
        var container = Assert.Single(Containers(Template(deployment)));
        using var directory = new TempDirectory();
        var file = Path.Combine(directory.Path, "topology.json");
        await File.WriteAllTextAsync(file, TopologyText());

        await using var app = ControlPlaneApplication.Build(["--urls=http://127.0.0.1:0", $"--ControlPlane:TopologyFile={file}"], builder => builder.Logging.ClearProviders());
        await app.StartAsync();
        var url = app.Urls.First();
        using var client = new HttpClient();
        using var topology = JsonDocument.Parse(await client.GetStringAsync(url + "/v1/topology"));

        Assert.Equal(["ams", "fra"], topology.RootElement.GetProperty("sites").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Equal(3, topology.RootElement.GetProperty("sites").EnumerateArray().Sum(s => s.GetProperty("nodes").GetArrayLength()));
        await AssertProbesAsync(url, container);
        await app.StopAsync();
    }

    [Fact]
    public void Services_EveryTargetPort_IsAPortOfThePodsTheySelect()
    {
        var workloads = Documents.Where(d => d.Root["kind"].ToString() is "Deployment" or "StatefulSet")
            .Select(d => Template(d.Root)).ToList();
        foreach (var service in Kind("Service"))
        {
            var selected = workloads.Where(t => Selects(service, t)).ToList();
            Assert.NotEmpty(selected);
            foreach (var port in (YamlSequenceNode)((YamlMappingNode)service["spec"])["ports"])
            {
                var target = ((YamlMappingNode)port)["targetPort"].ToString();
                Assert.All(selected, t => Assert.Contains(Containers(t), c => Port(c, target) > 0));
            }
        }
    }

    private static async Task AssertProbesAsync(string url, YamlMappingNode container)
    {
        using var client = new HttpClient();
        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
        {
            var get = (YamlMappingNode)((YamlMappingNode)container[probe])["httpGet"];
            Assert.True(Port(container, get["port"].ToString()) > 0);
            using var response = await client.GetAsync(url + get["path"]);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
    }

    private static void AssertSelects(YamlMappingNode service, YamlMappingNode template) =>
        Assert.True(Selects(service, template), Name(service) + " selects no pods of the workload");

    private static bool Selects(YamlMappingNode service, YamlMappingNode template)
    {
        var selector = (YamlMappingNode)((YamlMappingNode)service["spec"])["selector"];
        var labels = (YamlMappingNode)((YamlMappingNode)template["metadata"])["labels"];
        return selector.Children.All(s => labels.Children.TryGetValue(s.Key, out var value) && value.ToString() == s.Value.ToString());
    }

    private static int Port(YamlMappingNode container, string nameOrNumber) =>
        ((YamlSequenceNode)container["ports"]).Cast<YamlMappingNode>()
            .Where(p => p["name"].ToString() == nameOrNumber || p["containerPort"].ToString() == nameOrNumber)
            .Select(p => int.Parse(p["containerPort"].ToString(), System.Globalization.CultureInfo.InvariantCulture))
            .SingleOrDefault();

    // Variables from a secret or the pod's own fields are named by where they come from.
    private static Dictionary<string, string> Environment(YamlMappingNode container) =>
        (container.Children.TryGetValue("env", out var env) ? (YamlSequenceNode)env : []).Cast<YamlMappingNode>().ToDictionary(
            e => e["name"].ToString(),
            e => e.Children.TryGetValue("value", out var value) ? value.ToString()
                : ((YamlMappingNode)e["valueFrom"]).Children.TryGetValue("fieldRef", out var field) ? ((YamlMappingNode)field)["fieldPath"].ToString()
                : "secret",
            StringComparer.Ordinal);

    private static IEnumerable<(YamlMappingNode Template, YamlMappingNode Container)> Containers() =>
        Documents.Select(d => d.Root)
            .Where(r => r["kind"].ToString() is "Deployment" or "StatefulSet" or "Job")
            .Select(Template)
            .SelectMany(t => Containers(t).Select(c => (t, c)));

    private static YamlMappingNode Template(YamlMappingNode workload) => (YamlMappingNode)((YamlMappingNode)workload["spec"])["template"];

    private static IEnumerable<YamlMappingNode> Containers(YamlMappingNode template) =>
        ((YamlSequenceNode)((YamlMappingNode)template["spec"])["containers"]).Cast<YamlMappingNode>();

    private static IEnumerable<YamlMappingNode> Kind(string kind) => Documents.Where(d => d.Root["kind"].ToString() == kind).Select(d => d.Root);

    private static string Name(YamlMappingNode root) => ((YamlMappingNode)root["metadata"])["name"].ToString();

    private static string TopologyText() =>
        ((YamlMappingNode)Assert.Single(Kind("ConfigMap"), c => Name(c) == "edge-topology")["data"])["topology.json"].ToString();

    private static JsonDocument Topology() => JsonDocument.Parse(TopologyText());

    private static List<(string File, YamlMappingNode Root)> LoadAll()
    {
        var documents = new List<(string File, YamlMappingNode Root)>();
        foreach (var file in Directory.GetFiles(RepositoryFiles.PathOf("deploy/k8s"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var stream = new YamlStream();
            using var reader = new StringReader(File.ReadAllText(file));
            stream.Load(reader);
            documents.AddRange(stream.Documents.Select(d => (Path.GetFileName(file), (YamlMappingNode)d.RootNode)));
        }

        return documents;
    }

    [GeneratedRegex(@"^FROM\s+\S+\s+AS\s+(\S+)", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex DockerTarget();
}
