using System.Diagnostics;
using System.Text;

namespace Edge.Testing;

/// <summary>A started process's stdout and stderr, line by line as they come, kept for assertions and failure messages.</summary>
internal sealed class ProcessOutput
{
    private readonly StringBuilder _text = new();
    private readonly Action<string>? _onLine;

    /// <param name="onLine">Sees each line as it comes, after it is kept.</param>
    public ProcessOutput(Action<string>? onLine = null) => _onLine = onLine;

    /// <summary>Starts <paramref name="process"/> and reads both of its streams.</summary>
    public void Start(Process process)
    {
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Waits for <paramref name="process"/> to exit; <see cref="OperationCanceledException"/> after <paramref name="timeout"/>.</summary>
    public static async Task<int> WaitForExitAsync(Process process, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    public override string ToString()
    {
        lock (_text)
        {
            return _text.ToString();
        }
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_text)
        {
            _text.AppendLine(line);
        }

        _onLine?.Invoke(line);
    }
}
