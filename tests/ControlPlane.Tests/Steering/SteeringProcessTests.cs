using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Edge.Contracts;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.ControlPlane.Tests.Steering;

/// <summary>A real control plane and three real edge processes on loopback, filling from one origin.</summary>
public sealed class SteeringProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly string[] Titles = [.. Enumerable.Range(0, 45).Select(i => $"title-{i}"), "sample"];

    [Fact]
    public async Task ControlPlane_ThreeEdges_SpreadsFailsOverRampsAndReloads()
    {
        using var directory = new TempDirectory();
        await using var origin = await OriginServer.StartAsync();
        var content = Path.Combine(directory.Path, "content");
        await Ffmpeg.CreateSampleTitleAsync(Path.Combine(content, "sample"), seconds: 4);
        origin.AddDirectory("/sample", Path.Combine(content, "sample"));

        int[] ports = [FreePort.Next(), FreePort.Next(), FreePort.Next()];
        var topologyPath = Path.Combine(directory.Path, "topology.json");
        await File.WriteAllTextAsync(topologyPath, Topology(ports, edge3Site: "ams", loopbackSite: "ams"));
        await using var controlPlane = await ControlPlaneProcess.StartAsync(
            $"--ControlPlane:TopologyFile={topologyPath}",
            "--ControlPlane:RampUpDuration=00:00:04",
            "--ControlPlane:TitleReplicas=1",

            // This test asks for answers many times a second; as players they would rightly overflow their nodes.
            "--ControlPlane:ExpectedSessionBitsPerSecond=0");
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(controlPlane.Url) };

        var edges = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => StartEdgeAsync(i + 1, ports[i], origin.Url, controlPlane.Url, directory.Path)));
        try
        {
            // Every node reports, is probed, and has finished any ramp.
            await UntilAsync(async () => (await NodesAsync(http)).All(n => n.GetProperty("eligible").GetBoolean() && n.GetProperty("rampFraction").GetDouble() >= 1), "all edges up");

            // Titles spread over the site's three nodes.
            var homes = await SteerAllAsync(http);
            var spread = homes.Values.GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(3, spread.Count);
            Assert.All(spread.Values, c => Assert.InRange(c, 5, 35));

            // A player follows the redirect to the edge; ffmpeg plays the content-steered master through the control plane.
            using (var redirect = await http.GetAsync("/v1/steer/sample/master.m3u8"))
            {
                using var edgeResponse = await http.GetAsync(redirect.Headers.Location);
                Assert.Equal(System.Net.HttpStatusCode.OK, edgeResponse.StatusCode);
                Assert.StartsWith("#EXTM3U", await edgeResponse.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            var (code, log) = await Ffmpeg.RunAsync(TimeSpan.FromMinutes(1), "-v", "error", "-i", controlPlane.Url + "/v1/play/sample/master.m3u8",
                "-map", "0:v:0", "-map", "0:a:0", "-f", "null", "-");
            Assert.True(code == 0, log);

            // Kill edge-2: it leaves every answer within 3 s.
            var victim = "edge-2";
            var victimTitles = homes.Where(kv => kv.Value == victim).Select(kv => kv.Key).ToList();
            var killed = Stopwatch.StartNew();
            await edges[1].KillAsync();
            await UntilAsync(async () => !(await SteerAllAsync(http, victimTitles)).ContainsValue(victim), "edge-2 out of answers");
            var removedAfter = killed.Elapsed;
            Assert.True(removedAfter < TimeSpan.FromSeconds(3), $"edge-2 was still chosen {removedAfter.TotalSeconds:0.00} s after it died");
            output.WriteLine($"edge-2 out of answers {removedAfter.TotalMilliseconds:0} ms after SIGKILL");
            Assert.DoesNotContain(victim, (await SteerAllAsync(http)).Values);
            Assert.Equal("down", (await NodeAsync(http, victim)).GetProperty("state").GetString());

            // Bring it back: it ramps up instead of taking all its titles at once.
            await edges[1].DisposeAsync();
            edges[1] = await StartEdgeAsync(2, ports[1], origin.Url, controlPlane.Url, directory.Path);
            await UntilAsync(async () => (await NodeAsync(http, victim)).GetProperty("eligible").GetBoolean(), "edge-2 back up");
            var reborn = Stopwatch.StartNew();
            var firstRamp = (await NodeAsync(http, victim)).GetProperty("rampFraction").GetDouble();
            var earlyShare = (await SteerAllAsync(http, victimTitles)).Values.Count(n => n == victim);
            output.WriteLine($"edge-2 back: ramp {firstRamp:0.00}, took {earlyShare} of its {victimTitles.Count} titles");
            Assert.True(firstRamp < 1, $"ramp fraction {firstRamp}");
            Assert.True(earlyShare < victimTitles.Count, $"edge-2 took {earlyShare} of its {victimTitles.Count} titles at once");
            await UntilAsync(async () => (await SteerAllAsync(http, victimTitles)).Values.All(n => n == victim), "edge-2 holds its titles again");
            output.WriteLine($"edge-2 holds all its titles again {reborn.Elapsed.TotalSeconds:0.0} s after it came back");

            // Move edge-3 and the loopback prefix to fra: the reload takes effect without a restart.
            await ReplaceAsync(topologyPath, Topology(ports, edge3Site: "fra", loopbackSite: "fra"));
            await UntilAsync(async () => (await SteerAllAsync(http)).Values.All(n => n == "edge-3"), "topology reload");
            using (var topology = JsonDocument.Parse(await http.GetStringAsync("/v1/topology")))
            {
                Assert.Equal(2, topology.RootElement.GetProperty("version").GetInt64());
            }

            // A broken file is rejected with its problem named; the last good topology stays.
            await ReplaceAsync(topologyPath, """{"sites":[{"id":"fra"}],"nodes":[{"id":"edge-3","site":"nowhere","url":"http://127.0.0.1:1","capacityBps":1}]}""");
            await UntilAsync(async () =>
            {
                using var topology = JsonDocument.Parse(await http.GetStringAsync("/v1/topology"));
                return topology.RootElement.TryGetProperty("lastError", out var error) && error.GetString()!.Contains("unknown site 'nowhere'", StringComparison.Ordinal);
            }, "rejection of the bad file");
            Assert.All((await SteerAllAsync(http)).Values, n => Assert.Equal("edge-3", n));
        }
        finally
        {
            foreach (var edge in edges)
            {
                await edge.DisposeAsync();
            }
        }
    }

    private static string Topology(int[] ports, string edge3Site, string loopbackSite) => JsonSerializer.Serialize(new
    {
        sites = new object[]
        {
            new { id = "ams", location = new { lat = 52.37, lon = 4.90 }, prefixes = loopbackSite == "ams" ? new[] { "127.0.0.0/8", "::1/128" } : [], fallback = new[] { "fra" } },
            new { id = "fra", location = new { lat = 50.11, lon = 8.68 }, prefixes = loopbackSite == "fra" ? new[] { "127.0.0.0/8", "::1/128" } : [], fallback = Array.Empty<string>() },
        },
        nodes = new[]
        {
            new { id = "edge-1", site = "ams", url = $"http://127.0.0.1:{ports[0]}", capacityBps = 10_000_000_000L },
            new { id = "edge-2", site = "ams", url = $"http://127.0.0.1:{ports[1]}", capacityBps = 10_000_000_000L },
            new { id = "edge-3", site = edge3Site, url = $"http://127.0.0.1:{ports[2]}", capacityBps = 10_000_000_000L },
        },
    });

    private static Task<HostProcess> StartEdgeAsync(int n, int port, string origin, string controlPlane, string root) => EdgeProcess.StartAsync(
        $"--urls=http://127.0.0.1:{port}",
        $"--Edge:NodeId=edge-{n}",
        $"--Edge:CacheDirectory={Path.Combine(root, $"cache-{n}")}",
        $"--Edge:OriginUrl={origin}",
        $"--Edge:ControlPlaneUrls:0={controlPlane}");

    private static async Task ReplaceAsync(string path, string text)
    {
        // Write then rename, as configuration tools do, so the file is never seen half-written.
        var temporary = path + ".new";
        await File.WriteAllTextAsync(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    private static async Task<Dictionary<string, string>> SteerAllAsync(HttpClient http, IEnumerable<string>? titles = null)
    {
        var result = new Dictionary<string, string>();
        foreach (var title in titles ?? Titles)
        {
            using var response = await http.GetAsync($"/v1/steer/{title}/master.m3u8?format=json");
            var answer = await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.SteeringAnswer);
            result[title] = answer!.Candidates[0].Node;
        }

        return result;
    }

    private static async Task<List<JsonElement>> NodesAsync(HttpClient http)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/v1/nodes"));
        return [.. document.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.Clone())];
    }

    private static async Task<JsonElement> NodeAsync(HttpClient http, string id) =>
        (await NodesAsync(http)).Single(n => n.GetProperty("id").GetString() == id);

    private static Task UntilAsync(Func<Task<bool>> condition, string what) => Poll.UntilAsync(condition, what, Patience);
}
