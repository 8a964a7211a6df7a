using System.Net;
using System.Text.Json;
using Edge.Testing;

namespace Edge.ControlPlane.Tests.Health;

/// <summary>Two control-plane replicas and an edge reporting to both, as real processes; one replica is SIGKILLed.</summary>
public sealed class ReplicaProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ReplicaKilled_EdgeAndPlayersCarryOnWithTheOther()
    {
        using var directory = new TempDirectory();
        await using var origin = await OriginServer.StartAsync();
        origin.Add("/sample/master.m3u8", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\nv0/index.m3u8\n"u8.ToArray(), "application/vnd.apple.mpegurl");
        var port = FreePort.Next();
        var topology = Path.Combine(directory.Path, "topology.json");
        await File.WriteAllTextAsync(topology, JsonSerializer.Serialize(new
        {
            sites = new[] { new { id = "ams", prefixes = new[] { "127.0.0.0/8", "::1/128" } } },
            nodes = new[] { new { id = "edge-1", site = "ams", url = $"http://127.0.0.1:{port}", capacityBps = 10_000_000_000L } },
        }));
        await using var replicaA = await ControlPlaneProcess.StartAsync($"--ControlPlane:TopologyFile={topology}", "--ControlPlane:RampUpDuration=00:00:00");
        await using var replicaB = await ControlPlaneProcess.StartAsync($"--ControlPlane:TopologyFile={topology}", "--ControlPlane:RampUpDuration=00:00:00");
        await using var edge = await EdgeProcess.StartAsync($"--urls=http://127.0.0.1:{port}", "--Edge:NodeId=edge-1",
            $"--Edge:CacheDirectory={Path.Combine(directory.Path, "cache")}", $"--Edge:OriginUrl={origin.Url}",
            $"--Edge:ControlPlaneUrls:0={replicaA.Url}", $"--Edge:ControlPlaneUrls:1={replicaB.Url}");
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        await UntilAsync(async () => await EligibleAsync(http, replicaA.Url) && await EligibleAsync(http, replicaB.Url), "edge-1 eligible at both replicas");

        await replicaA.KillAsync();
        var killedAt = DateTimeOffset.UtcNow;

        // The edge keeps reporting to the survivor: a heartbeat newer than the kill arrives there.
        await UntilAsync(async () => (await NodeAsync(http, replicaB.Url)).GetProperty("lastHeartbeat").GetDateTimeOffset() > killedAt.AddSeconds(1), "a heartbeat at replica B after the kill");
        Assert.True(await EligibleAsync(http, replicaB.Url));
        using (var ready = await http.GetAsync($"http://127.0.0.1:{port}/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // A new player is steered by the survivor and served by the edge.
        using var redirect = await http.GetAsync(replicaB.Url + "/v1/steer/sample/master.m3u8");
        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        using var manifest = await http.GetAsync(redirect.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.StartsWith("#EXTM3U", await manifest.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> NodeAsync(HttpClient http, string controlPlane)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(controlPlane + "/v1/nodes"));
        return document.RootElement.GetProperty("nodes").EnumerateArray().Single().Clone();
    }

    private static async Task<bool> EligibleAsync(HttpClient http, string controlPlane) =>
        (await NodeAsync(http, controlPlane)).GetProperty("eligible").GetBoolean();

    private static Task UntilAsync(Func<Task<bool>> condition, string what) => Poll.UntilAsync(condition, what, Patience);
}
