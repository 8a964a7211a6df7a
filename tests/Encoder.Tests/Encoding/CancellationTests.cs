using Edge.Encoder.Encoding;
using Edge.Testing;

namespace Edge.Encoder.Tests.Encoding;

public class CancellationTests
{
    [Fact]
    public async Task EncodeAsync_CancelledMidEncode_NothingPublishedAndNoStagingLeft()
    {
        using var dir = new TempDirectory();
        var source = await Sources.HardAsync(dir.Path, 1280, 720, seconds: 20);
        var content = Path.Combine(dir.Path, "origin");
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress([], p =>
        {
            if (p.Phase == "encode" && p.Fraction > 0)
            {
                cancel.Cancel();
            }
        });
        var encoder = new TitleEncoder(new FfmpegRunner(Toolchain.Locate()), TimeProvider.System, progress);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            encoder.EncodeAsync(new EncodeRequest(source, Path.Combine(content, "long")) { SegmentSeconds = 2, Preset = "medium" }, cancel.Token));

        Assert.Empty(Directory.EnumerateFileSystemEntries(content));
    }
}
