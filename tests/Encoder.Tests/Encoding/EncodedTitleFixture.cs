using Edge.Encoder.Encoding;
using Edge.Encoder.Publishing;
using Edge.Testing;

namespace Edge.Encoder.Tests.Encoding;

/// <summary>One title encoded once (default ladder, 640x360 hard source with audio, 2 s segments) for the tests that inspect it.</summary>
public sealed class EncodedTitleFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();

    public string ContentRoot => Path.Combine(_directory.Path, "origin");

    public string TitleRoot => Path.Combine(ContentRoot, "hard");

    public string Source { get; private set; } = "";

    public TitleDocument Title { get; private set; } = null!;

    public List<EncodeProgress> Progress { get; } = [];

    public async Task InitializeAsync()
    {
        Source = await Sources.HardAsync(_directory.Path);
        var encoder = new TitleEncoder(new FfmpegRunner(Toolchain.Locate()), TimeProvider.System, new SyncProgress(Progress));
        Title = await encoder.EncodeAsync(new EncodeRequest(Source, TitleRoot) { SegmentSeconds = 2, Preset = "veryfast" }, default);
    }

    public Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }

    public string Read(string relative) => File.ReadAllText(Path.Combine(TitleRoot, relative));
}

/// <summary>Records progress on the reporting thread (Progress&lt;T&gt; would post it later).</summary>
public sealed class SyncProgress(List<EncodeProgress> sink, Action<EncodeProgress>? then = null) : IProgress<EncodeProgress>
{
    public void Report(EncodeProgress value)
    {
        lock (sink)
        {
            sink.Add(value);
        }

        then?.Invoke(value);
    }
}
