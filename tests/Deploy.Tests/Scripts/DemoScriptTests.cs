using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Edge.Deploy.Tests.Scripts;

public sealed class DemoScriptTests
{
    private static readonly string[] Processes = ["origin", "control-plane", "edge-1", "edge-2", "edge-3"];

    [Fact]
    public async Task DemoScript_Interrupted_StopsEveryProcessItStartedAndLeavesNothingHalfWritten()
    {
        using var directory = new TempDirectory();
        await using var demo = await DemoCdn.StartAsync(directory.Path, sourceSeconds: 4, patience: TimeSpan.FromMinutes(5));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        // Safe by default: the operator APIs need this run's token, and every edge is heard with its own node token.
        Assert.Matches("^[0-9a-f]{64}$", demo.AdminToken);
        using (var refused = await http.GetAsync(demo.ControlPlaneUrl + "/v1/nodes"))
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // Up: two sites, three edges reporting, each filled with the title, and both pages served.
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", demo.AdminToken);
        using var nodes = JsonDocument.Parse(await http.GetStringAsync(demo.ControlPlaneUrl + "/v1/nodes"));
        Assert.Equal(3, nodes.RootElement.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("state").GetString() == "up"));
        Assert.Equal(3, CountLines(demo.Output, "proactive fill: done"));
        Assert.Contains("edge: player page   " + demo.ControlPlaneUrl + "/player", demo.Output, StringComparison.Ordinal);
        Assert.Contains("edge: operator page " + demo.OperatorPageUrl, demo.Output, StringComparison.Ordinal);
        Assert.Contains("<video", await http.GetStringAsync(demo.PlayerPageUrl("/sample/master.m3u8")), StringComparison.Ordinal);
        var pids = Processes.ToDictionary(name => name, demo.ProcessIdOf);

        demo.Interrupt();
        Assert.Equal(0, await demo.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("edge: stopped", demo.Output, StringComparison.Ordinal);
        foreach (var (name, pid) in pids)
        {
            Assert.False(IsRunning(pid), $"{name} (pid {pid}) is still running");
        }

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(demo.ControlPlaneUrl + "/healthz"));
        Assert.Empty(Directory.GetFiles(Path.Combine(directory.Path, "run")));
        Assert.True(File.Exists(Path.Combine(directory.Path, "origin", "sample", "title.json")));
        Assert.Empty(Directory.GetDirectories(Path.Combine(directory.Path, "origin"), ".*partial*"));
        Assert.Empty(Directory.GetFiles(directory.Path, "*.part", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(directory.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task DemoScript_PortAlreadyTaken_ExitsNonZeroNamingTheProcessAndThePortAndStartsNothing()
    {
        using var directory = new TempDirectory();
        var environment = DemoCdn.FreePorts();
        using var squatter = new TcpListener(IPAddress.Loopback, int.Parse(environment["CONTROL_PORT"], CultureInfo.InvariantCulture));
        squatter.Start();

        var (code, output) = await DemoCdn.RunToExitAsync(directory.Path, environment, TimeSpan.FromMinutes(2));
        squatter.Stop();

        Assert.NotEqual(0, code);
        Assert.Contains($"port {environment["CONTROL_PORT"]}, which the control-plane needs, is already in use", output, StringComparison.Ordinal);
        Assert.Contains("CONTROL_PORT", output, StringComparison.Ordinal);
        AssertNothingLeft(directory.Path, environment);
    }

    [Fact]
    public async Task DemoScript_ProcessFailsToStart_StopsEverythingItStartedAndShowsWhyFromItsLog()
    {
        using var directory = new TempDirectory();
        var environment = DemoCdn.FreePorts();

        // A setting the control plane refuses: it exits at start, after the origin is already up.
        environment["ControlPlane__LiveSteeringTtl"] = "soon";
        var (code, output) = await DemoCdn.RunToExitAsync(directory.Path, environment, TimeSpan.FromMinutes(5));

        Assert.NotEqual(0, code);
        Assert.Contains("edge: control-plane exited with status", output, StringComparison.Ordinal);
        Assert.Contains("ControlPlane:LiveSteeringTtl", output, StringComparison.Ordinal);
        Assert.Contains("stopping everything the demo started", output, StringComparison.Ordinal);
        Assert.Contains("edge: stopped", output, StringComparison.Ordinal);
        Assert.DoesNotContain("edge: player page", output, StringComparison.Ordinal);
        AssertNothingLeft(directory.Path, environment);
    }

    [Fact]
    public async Task DemoScript_AnotherDemoRunsInTheFolder_Refused()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "run"));
        var running = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "run", "demo.pid"), running + "\n");

        var (code, output) = await DemoCdn.RunToExitAsync(directory.Path, DemoCdn.FreePorts(), TimeSpan.FromMinutes(2));

        Assert.NotEqual(0, code);
        Assert.Contains($"a demo is already running in {directory.Path} (process {running})", output, StringComparison.Ordinal);
        Assert.Equal(running, (await File.ReadAllTextAsync(Path.Combine(directory.Path, "run", "demo.pid"))).Trim());
    }

    // Nothing listens on any of the demo's ports, and no process it started is left.
    private static void AssertNothingLeft(string directory, IReadOnlyDictionary<string, string> environment)
    {
        foreach (var endpoint in DemoCdn.EndpointsOf(environment))
        {
            using var client = new TcpClient();
            Assert.ThrowsAny<SocketException>(() => client.Connect(endpoint));
        }

        var run = Path.Combine(directory, "run");
        Assert.Empty(Directory.Exists(run) ? Directory.GetFiles(run, "*.pid") : []);
    }

    private static int CountLines(string text, string part) =>
        text.Split('\n').Count(line => line.Contains(part, StringComparison.Ordinal));

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
