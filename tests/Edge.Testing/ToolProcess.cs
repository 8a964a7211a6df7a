using System.Diagnostics;

namespace Edge.Testing;

/// <summary>Runs a command-line tool to its end and keeps what it printed.</summary>
public static class ToolProcess
{
    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="args"/>; returns its exit code and stdout then stderr. Past
    /// <paramref name="timeout"/> it is killed and <see cref="TimeoutException"/> says what it printed.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string file, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout}: {await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
