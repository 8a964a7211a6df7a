using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Edge.Testing;

/// <summary>A deployable (edge node, control plane) in a process of its own, so tests can kill it like an operator's machine would.</summary>
public sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output;
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(Process process)
    {
        _process = process;
        _output = new ProcessOutput(OnLine);
    }

    public string Url { get; private set; } = "";

    public string Output => _output.ToString();

    public int ExitCode => _process.ExitCode;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Runs <paramref name="assembly"/> (built next to the tests) with <paramref name="args"/>.</summary>
    public static HostProcess Launch(string assembly, params string[] args) => Launch(assembly, new Dictionary<string, string>(), args);

    /// <summary>Runs <paramref name="assembly"/> with <paramref name="args"/> and extra <paramref name="environment"/> variables.</summary>
    public static HostProcess Launch(string assembly, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Launch(assembly, environment, openFiles: null, args);

    /// <summary>
    /// Runs <paramref name="assembly"/> under an open-file limit of <paramref name="openFiles"/> (soft and hard, as
    /// <c>ulimit -n</c> sets it; <c>prlimit</c> execs, so the process keeps its id) when given.
    /// </summary>
    public static HostProcess Launch(string assembly, IReadOnlyDictionary<string, string> environment, int? openFiles, params string[] args)
    {
        var info = Interruptible(openFiles is null ? "dotnet" : "prlimit", AppContext.BaseDirectory);
        if (openFiles is { } limit)
        {
            info.ArgumentList.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--nofile={limit}:{limit}"));
            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var edge = new HostProcess(process);
        process.Exited += (_, _) => edge._listening.TrySetException(new InvalidOperationException(assembly + " exited before listening:\n" + edge.Output));
        edge._output.Start(process);
        return edge;
    }

    /// <summary>Starts <paramref name="assembly"/> and waits until it listens (on a free loopback port unless args say <c>--urls</c>).</summary>
    public static Task<HostProcess> StartAsync(string assembly, params string[] args) => StartAsync(assembly, openFiles: null, args);

    /// <summary>Starts <paramref name="assembly"/> under an open-file limit (none when null) and waits until it listens.</summary>
    public static async Task<HostProcess> StartAsync(string assembly, int? openFiles, params string[] args)
    {
        var edge = Launch(assembly, new Dictionary<string, string>(), openFiles, args.Any(a => a.StartsWith("--urls", StringComparison.Ordinal)) ? args : ["--urls=http://127.0.0.1:0", .. args]);
        edge.Url = await edge._listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return edge;
    }

    public Task<int> WaitForExitAsync(TimeSpan timeout) => ProcessOutput.WaitForExitAsync(_process, timeout);

    /// <summary>SIGKILL: no shutdown code runs, as when a machine loses power or the OOM killer strikes.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Starts <paramref name="file"/> (arguments to be added) with SIGINT at its default, as on a terminal. A runner
    /// started in the background by a non-interactive shell ignores SIGINT, its children inherit that, and neither
    /// .NET nor bash then handles Ctrl+C; <c>env --default-signal</c> puts it back before the program starts.
    /// </summary>
    public static ProcessStartInfo Interruptible(string file, string workingDirectory)
    {
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        info.ArgumentList.Add("--default-signal=INT");
        info.ArgumentList.Add(file);
        return info;
    }

    /// <summary>SIGINT, as Ctrl+C on a terminal sends.</summary>
    public void Interrupt() => Interrupt(_process.Id);

    /// <summary>SIGINT to <paramref name="pid"/>; .NET can only send SIGKILL itself.</summary>
    public static void Interrupt(int pid)
    {
        using var kill = Process.Start("kill", ["-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    /// <summary>Waits until the output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                throw new TimeoutException($"'{text}' did not appear in the output:\n{Output}");
            }

            await Task.Delay(20);
        }
    }

    private void OnLine(string line)
    {
        var match = ListeningLine().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult(match.Groups[1].Value);
        }
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
