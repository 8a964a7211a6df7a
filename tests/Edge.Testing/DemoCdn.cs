using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Edge.Testing;

/// <summary>
/// The README's main command, <c>scripts/demo.sh</c>, run for real: encoder, origin, control plane and three edges
/// in their own processes, on free loopback ports and in a folder of the test's own.
/// </summary>
public sealed class DemoCdn : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output = new();

    private DemoCdn(Process process, string directory, int controlPort)
    {
        _process = process;
        Directory = directory;
        ControlPlaneUrl = "http://127.0.0.1:" + controlPort.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The demo's folder (title, caches, logs, and <c>run/NAME.pid</c> for each process).</summary>
    public string Directory { get; }

    public string ControlPlaneUrl { get; }

    /// <summary>The operator token the demo made for this run (and printed once).</summary>
    public string AdminToken => System.Text.RegularExpressions.Regex.Match(Output, "edge: operator token ([0-9a-f]+)").Groups[1].Value;

    /// <summary>The operator page with this run's token in its fragment, as the demo prints it.</summary>
    public string OperatorPageUrl => ControlPlaneUrl + "/operator#token=" + AdminToken;

    public bool HasExited => _process.HasExited;

    public string Output => _output.ToString();

    /// <summary>The player page for <paramref name="title"/>, with the player's forward buffer capped when <paramref name="bufferSeconds"/> is given.</summary>
    public string PlayerPageUrl(string title, int? bufferSeconds = null) =>
        ControlPlaneUrl + "/player?src=" + Uri.EscapeDataString(title) + (bufferSeconds is { } b ? "&buffer=" + b.ToString(CultureInfo.InvariantCulture) : "");

    /// <summary>
    /// The player page served from another web origin (<c>localhost</c> rather than <c>127.0.0.1</c>), playing through
    /// this demo's control plane across origins, as a site's own page would.
    /// </summary>
    public string CrossOriginPlayerPageUrl(string title, int? bufferSeconds = null) =>
        PlayerPageUrl(title, bufferSeconds).Replace("http://127.0.0.1:", "http://localhost:", StringComparison.Ordinal)
        + "&api=" + Uri.EscapeDataString(ControlPlaneUrl);

    /// <summary>
    /// Runs the demo and waits until it prints its pages (it has encoded, started and filled everything). With
    /// <paramref name="live"/>, the origin also encodes the live title <c>/live/</c> now, on a small ladder.
    /// </summary>
    public static async Task<DemoCdn> StartAsync(string directory, int sourceSeconds, TimeSpan patience, bool live = false)
    {
        var info = StartInfo(directory, sourceSeconds, null);
        var controlPort = int.Parse(info.Environment["CONTROL_PORT"]!, CultureInfo.InvariantCulture);
        if (live)
        {
            info.Environment["DEMO_LIVE"] = "1";
            info.Environment["DEMO_LIVE_LADDER"] = "256x144@250k,192x108@150k";
        }

        var process = new Process { StartInfo = info };
        var demo = new DemoCdn(process, directory, controlPort);
        demo._output.Start(process);
        try
        {
            await Poll.UntilAsync(() => Task.FromResult(demo.Output.Contains("edge: operator page", StringComparison.Ordinal) || process.HasExited), "the demo to print its pages", patience);
            if (process.HasExited)
            {
                throw new InvalidOperationException("the demo exited before it was up:\n" + demo.Output);
            }
        }
        catch
        {
            await demo.DisposeAsync();
            throw;
        }

        return demo;
    }

    /// <summary>
    /// Runs the demo expecting it to stop by itself (refused, or failed while starting), with <paramref name="environment"/>
    /// set over its usual settings; returns its exit code and output.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(string directory, IReadOnlyDictionary<string, string> environment, TimeSpan patience)
    {
        var info = StartInfo(directory, sourceSeconds: 4, environment);
        using var process = new Process { StartInfo = info };
        var output = new ProcessOutput();
        output.Start(process);
        try
        {
            var code = await ProcessOutput.WaitForExitAsync(process, patience);
            return (code, output.ToString());
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("the demo did not stop by itself:\n" + output);
        }
    }

    /// <summary>
    /// Where the demo's processes listen: the origin and the control plane on 127.0.0.1, edge N on 127.0.0.N at
    /// <c>EDGE_PORT</c> + N - 1.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> EndpointsOf(IReadOnlyDictionary<string, string> environment)
    {
        var edge = int.Parse(environment["EDGE_PORT"], CultureInfo.InvariantCulture);
        return
        [
            new(IPAddress.Loopback, int.Parse(environment["ORIGIN_PORT"], CultureInfo.InvariantCulture)),
            new(IPAddress.Loopback, int.Parse(environment["CONTROL_PORT"], CultureInfo.InvariantCulture)),
            new(IPAddress.Parse("127.0.0.1"), edge),
            new(IPAddress.Parse("127.0.0.2"), edge + 1),
            new(IPAddress.Parse("127.0.0.3"), edge + 2),
        ];
    }

    /// <summary>Free loopback ports for a demo, as the environment it reads them from.</summary>
    public static Dictionary<string, string> FreePorts() => new(StringComparer.Ordinal)
    {
        ["ORIGIN_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ["CONTROL_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ["EDGE_PORT"] = ThreeFreePorts().ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The id of a process the demo started (<c>origin</c>, <c>control-plane</c>, <c>edge-1</c>...).</summary>
    public int ProcessIdOf(string name) =>
        int.Parse(File.ReadAllText(Path.Combine(Directory, "run", name + ".pid")).Trim(), CultureInfo.InvariantCulture);

    /// <summary>SIGINT to the script, as Ctrl+C on its terminal sends.</summary>
    public void Interrupt() => HostProcess.Interrupt(_process.Id);

    public Task<int> WaitForExitAsync(TimeSpan timeout) => ProcessOutput.WaitForExitAsync(_process, timeout);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Interrupt();
            try
            {
                await WaitForExitAsync(TimeSpan.FromSeconds(30));
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    private static ProcessStartInfo StartInfo(string directory, int sourceSeconds, IReadOnlyDictionary<string, string>? environment)
    {
        var info = HostProcess.Interruptible("bash", RepositoryFiles.Root);
        info.ArgumentList.Add(RepositoryFiles.PathOf("scripts/demo.sh"));
        info.Environment["DEMO_DIR"] = directory;
        info.Environment["DEMO_NO_BUILD"] = "1";
        info.Environment["DEMO_CONFIGURATION"] = Configuration;
        info.Environment["DEMO_SOURCE_SECONDS"] = sourceSeconds.ToString(CultureInfo.InvariantCulture);
        foreach (var (name, value) in FreePorts())
        {
            info.Environment[name] = value;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return info;
    }

    private static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    // The demo's edges take three consecutive ports.
    private static int ThreeFreePorts()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var first = FreePort.Next();
            if (first <= IPEndPoint.MaxPort - 2 && IsFree(first + 1) && IsFree(first + 2))
            {
                return first;
            }
        }

        throw new InvalidOperationException("no three consecutive free loopback ports");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
