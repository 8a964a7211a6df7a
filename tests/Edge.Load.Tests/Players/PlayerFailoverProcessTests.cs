using System.Text.Json;
using Edge.Load.Players;
using Edge.Testing;

namespace Edge.Load.Tests.Players;

/// <summary>
/// A simulated viewer plays through the control plane's content steering from two real edge processes; the edge
/// serving it is killed (SIGKILL) mid-segment, and the next segment comes from the other one.
/// </summary>
public sealed class PlayerFailoverProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RunAsync_ServingEdgeKilledDuringPlayback_NextSegmentFromTheOtherEdge()
    {
        using var directory = new TempDirectory();
        var title = Path.Combine(directory.Path, "sample");
        await Ffmpeg.CreateSampleTitleAsync(title, seconds: 6);
        await using var origin = await OriginServer.StartAsync();
        origin.AddDirectory("/sample", title);

        // The second segment of every rendition waits at the origin: the moment an edge asks for it, the player is mid-segment.
        var held = Directory.EnumerateFiles(title, "seg_001.m4s", SearchOption.AllDirectories)
            .Select(f => (Path: "/sample/" + Path.GetRelativePath(title, f).Replace('\\', '/'), Value: new OriginObject { Body = File.ReadAllBytes(f), ContentType = "video/iso.segment", HoldHeaders = true }))
            .ToList();
        held.ForEach(h => origin.Add(h.Path, h.Value));

        int[] ports = [FreePort.Next(), FreePort.Next()];
        var topology = Path.Combine(directory.Path, "topology.json");
        await File.WriteAllTextAsync(topology, JsonSerializer.Serialize(new
        {
            sites = new[] { new { id = "ams", prefixes = new[] { "127.0.0.0/8", "::1/128" } } },
            nodes = ports.Select((p, i) => new { id = $"edge-{i + 1}", site = "ams", url = $"http://127.0.0.1:{p}", capacityBps = 10_000_000_000L }),
        }));
        await using var controlPlane = await ControlPlaneProcess.StartAsync($"--ControlPlane:TopologyFile={topology}", "--ControlPlane:RampUpDuration=00:00:00");
        var edges = new Dictionary<string, HostProcess>();
        try
        {
            for (var i = 0; i < ports.Length; i++)
            {
                edges[$"edge-{i + 1}"] = await EdgeProcess.StartAsync(
                    $"--urls=http://127.0.0.1:{ports[i]}", $"--Edge:NodeId=edge-{i + 1}", $"--Edge:CacheDirectory={Path.Combine(directory.Path, $"cache-{i + 1}")}",
                    $"--Edge:OriginUrl={origin.Url}", $"--Edge:ControlPlaneUrls:0={controlPlane.Url}");
            }

            using var http = new HttpClient { BaseAddress = new Uri(controlPlane.Url) };
            await UntilAsync(async () =>
            {
                using var nodes = JsonDocument.Parse(await http.GetStringAsync("/v1/nodes"));
                return nodes.RootElement.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("eligible").GetBoolean()) == 2;
            }, "both edges eligible");
            var master = await http.GetStringAsync("/v1/play/sample/master.m3u8");
            var serving = HlsPlaylists.ParseMaster(master, new Uri(controlPlane.Url + "/v1/play/sample/master.m3u8")).Pathways[0]!;
            var survivor = edges.Keys.Single(k => k != serving);

            var options = new PlayerOptions { Master = new Uri(controlPlane.Url + "/v1/play/sample/master.m3u8"), Viewers = 1, Duration = TimeSpan.FromSeconds(8), BufferGoal = TimeSpan.FromSeconds(3) };
            var run = new PlayerRunner(options, TimeProvider.System).RunAsync(CancellationToken.None);
            await Task.WhenAny(held.Select(h => h.Value.Held.Task)).WaitAsync(Patience);
            await edges[serving].KillAsync();
            held.ForEach(h => h.Value.Release.TrySetResult());
            var report = await run.WaitAsync(Patience);

            var session = Assert.Single(report.Sessions);
            Assert.Null(session.Failure);
            Assert.True(session.Failovers >= 1, "no failover");
            Assert.True(session.Nodes.GetValueOrDefault(serving) >= 1, $"nodes: {string.Join(", ", session.Nodes)}");
            Assert.True(session.Nodes.GetValueOrDefault(survivor) >= 2, $"nodes: {string.Join(", ", session.Nodes)}");
            Assert.True(session.Segments >= 3, $"{session.Segments} segments");
            Assert.NotEmpty(session.Errors);
        }
        finally
        {
            foreach (var edge in edges.Values)
            {
                await edge.DisposeAsync();
            }
        }
    }

    private static Task UntilAsync(Func<Task<bool>> condition, string what) => Poll.UntilAsync(condition, what, Patience);
}
