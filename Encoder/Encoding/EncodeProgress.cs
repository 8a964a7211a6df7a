namespace Edge.Encoder.Encoding;

/// <summary>How far an encode has come: phase, share done (0-1), speed as a multiple of real time, and time left.</summary>
public sealed record EncodeProgress(string Phase, double Fraction, double? Speed, TimeSpan? Remaining);

/// <summary>A progress line for scripts: one JSON object per line on standard output.</summary>
public sealed record ProgressEvent(string Event, string? Phase = null, double? Percent = null, double? Speed = null, double? EtaSeconds = null)
{
    public string? Id { get; init; }

    public string? Path { get; init; }

    public string? Error { get; init; }
}

/// <summary>Turns ffmpeg's position in the media into share done, speed and time left, on an injected clock.</summary>
internal sealed class ProgressClock(TimeProvider time, IProgress<EncodeProgress> progress, string phase, double mediaSeconds)
{
    private readonly long _start = time.GetTimestamp();

    public void Report(TimeSpan position)
    {
        var elapsed = time.GetElapsedTime(_start).TotalSeconds;
        var done = Math.Clamp(position.TotalSeconds / mediaSeconds, 0, 1);
        double? speed = elapsed > 0.2 ? position.TotalSeconds / elapsed : null;
        TimeSpan? remaining = speed is > 0 ? TimeSpan.FromSeconds(Math.Max(0, mediaSeconds - position.TotalSeconds) / speed.Value) : null;
        progress.Report(new EncodeProgress(phase, done, speed, remaining));
    }
}
