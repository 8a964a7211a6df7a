using System.Text.Json;
using Edge.Encoder.Encoding;

namespace Edge.Encoder.Cli;

/// <summary>A progress bar with percent, speed and time left, redrawn in place on a terminal.</summary>
internal sealed class TerminalProgress(TextWriter output, TimeProvider time) : IProgress<EncodeProgress>
{
    private const int Width = 30;
    private long _last;
    private string? _phase;

    public void Report(EncodeProgress value)
    {
        var now = time.GetTimestamp();
        if (value.Phase == _phase && value.Fraction < 1 && time.GetElapsedTime(_last, now) < TimeSpan.FromMilliseconds(100))
        {
            return;
        }

        if (_phase is not null && value.Phase != _phase)
        {
            output.WriteLine();
        }

        _phase = value.Phase;
        _last = now;
        var filled = (int)Math.Round(value.Fraction * Width);
        var speed = value.Speed is { } s ? $"{s,6:F2}x" : "       ";
        var eta = value.Remaining is { } r ? $"ETA {(int)r.TotalMinutes}:{r.Seconds:D2}" : "";
        output.Write($"\r{value.Phase,-9} [{new string('#', filled)}{new string('.', Width - filled)}] {value.Fraction * 100,5:F1}% {speed} {eta}   ");
        if (value.Phase == "published")
        {
            output.WriteLine();
        }
    }
}

/// <summary>One JSON object per line for scripts and job logs, at most one a second per phase.</summary>
internal sealed class JsonProgress(TextWriter output, TimeProvider time) : IProgress<EncodeProgress>
{
    private long _last;
    private string? _phase;

    public void Report(EncodeProgress value)
    {
        var now = time.GetTimestamp();
        if (value.Phase == _phase && value.Fraction is > 0 and < 1 && time.GetElapsedTime(_last, now) < TimeSpan.FromSeconds(1))
        {
            return;
        }

        _phase = value.Phase;
        _last = now;
        Write(output, new ProgressEvent(
            "progress",
            value.Phase,
            Math.Round(value.Fraction * 100, 1),
            value.Speed is { } s ? Math.Round(s, 2) : null,
            value.Remaining is { } r ? Math.Round(r.TotalSeconds, 1) : null));
    }

    public static void Write(TextWriter output, ProgressEvent value)
    {
        output.WriteLine(JsonSerializer.Serialize(value, EncoderJsonContext.Compact.ProgressEvent));
        output.Flush();
    }
}
