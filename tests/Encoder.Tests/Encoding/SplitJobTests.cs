using System.Text.Json;
using Edge.Encoder.Encoding;
using Edge.Testing;

namespace Edge.Encoder.Tests.Encoding;

/// <summary>The split path Kubernetes runs: plan, one process per rendition, then package.</summary>
public class SplitJobTests
{
    [Fact]
    public async Task PlanEncodeRenditionPackage_SeparateProcesses_PublishAnAlignedTitle()
    {
        using var dir = new TempDirectory();
        var source = await Sources.HardAsync(dir.Path, 640, 360, seconds: 4);
        var plan = Path.Combine(dir.Path, "plan.json");
        var work = Path.Combine(dir.Path, "work");
        var output = Path.Combine(dir.Path, "origin", "split");

        await RunAsync("plan", "--input", source, "--output", output, "--plan", plan, "--segment-duration", "2", "--preset", "veryfast");
        using var planJson = JsonDocument.Parse(await File.ReadAllTextAsync(plan));
        var count = planJson.RootElement.GetProperty("renditions").GetArrayLength();
        Assert.Equal(3, count);

        // Indexed Jobs set JOB_COMPLETION_INDEX; each rendition decodes the source on its own.
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => RunAsync(new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = $"{i}" }, "encode-rendition", "--plan", plan, "--work", work)));
        Assert.False(Directory.Exists(output));
        await RunAsync("package", "--plan", plan, "--work", work);

        var master = await File.ReadAllTextAsync(Path.Combine(output, "master.m3u8"));
        var keyFrames = new List<List<double>>();
        foreach (var (_, uri) in Playlist.Variants(master))
        {
            keyFrames.Add(await Ffprobe.KeyFrameTimesAsync(await Playlist.JoinRenditionAsync(dir.Path, output, uri)));
        }

        Assert.Equal(2, keyFrames.Count);
        Assert.Equal(keyFrames[0], keyFrames[1]);
        Assert.Equal(2, keyFrames[0].Count);
    }

    [Fact]
    public async Task Package_RenditionMissing_SaysWhichAndPublishesNothing()
    {
        using var dir = new TempDirectory();
        var source = await Sources.HardAsync(dir.Path, 320, 180, seconds: 2);
        var plan = Path.Combine(dir.Path, "plan.json");
        var output = Path.Combine(dir.Path, "origin", "partial");
        await RunAsync("plan", "--input", source, "--output", output, "--plan", plan, "--segment-duration", "2");

        await using var package = HostProcess.Launch("Encoder.dll", "package", "--plan", plan, "--work", Path.Combine(dir.Path, "work"));
        Assert.Equal(2, await package.WaitForExitAsync(TimeSpan.FromMinutes(1)));

        Assert.Contains("renditions not encoded yet", package.Output, StringComparison.Ordinal);
        Assert.Contains("180p-145k", package.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "origin")) && Directory.EnumerateFileSystemEntries(Path.Combine(dir.Path, "origin")).Any());
    }

    private static Task RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    private static async Task RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await using var process = HostProcess.Launch("Encoder.dll", environment, args);
        var code = await process.WaitForExitAsync(TimeSpan.FromMinutes(3));
        Assert.True(code == 0, $"{string.Join(' ', args)} exited {code}:\n{process.Output}");
    }
}
