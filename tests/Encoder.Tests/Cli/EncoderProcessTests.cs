using System.Text.Json;
using Edge.Testing;

namespace Edge.Encoder.Tests.Cli;

/// <summary>The encode command as an operator or a Kubernetes Job runs it: a real process, its output and exit code.</summary>
public class EncoderProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private static async Task<(int Code, string Output)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await using var process = HostProcess.Launch("Encoder.dll", environment, args);
        var code = await process.WaitForExitAsync(Timeout);
        return (code, process.Output);
    }

    private static Task<(int Code, string Output)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    [Fact]
    public async Task Encode_ValidSource_JsonProgressAndPublishedTitle()
    {
        using var dir = new TempDirectory();
        var source = await Sources.HardAsync(dir.Path, 320, 180, seconds: 4);
        var output = Path.Combine(dir.Path, "origin", "small");

        var (code, text) = await RunAsync("encode", "--input", source, "--output", output, "--segment-duration", "2", "--preset", "veryfast");

        Assert.True(code == 0, text);
        var events = text.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(events, e => e.GetProperty("event").GetString() == "progress" && e.GetProperty("phase").GetString() == "encode");
        var published = events.Single(e => e.GetProperty("event").GetString() == "published");
        Assert.Equal("small", published.GetProperty("id").GetString());
        Assert.True(File.Exists(Path.Combine(output, "title.json")));
    }

    [Fact]
    public async Task Encode_Interrupted_ExitsWith130AndPublishesNothing()
    {
        using var dir = new TempDirectory();
        var source = await Sources.HardAsync(dir.Path, 1280, 720, seconds: 20);
        var content = Path.Combine(dir.Path, "origin");
        await using var process = HostProcess.Launch("Encoder.dll", "encode", "--input", source, "--output", Path.Combine(content, "long"), "--preset", "medium");

        await process.WaitForOutputAsync("\"phase\":\"encode\"", Timeout);
        process.Interrupt();
        var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(130, code);
        Assert.Contains("cancelled; nothing was published", process.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(content));
    }

    [Fact]
    public async Task Compare_ATitleAgainstItselfWithVmafFromTheEnvironment_JsonWithEveryMetricAndNoBdRate()
    {
        using var dir = new TempDirectory();
        var source = await Sources.HardAsync(dir.Path, seconds: 4);
        var output = Path.Combine(dir.Path, "origin", "t");
        var (encoded, log) = await RunAsync("encode", "--input", source, "--output", output, "--segment-duration", "2", "--preset", "veryfast");
        Assert.True(encoded == 0, log);
        var vmaf = Ladder.VmafTests.Options();
        var environment = new Dictionary<string, string> { ["VMAF_FFMPEG"] = vmaf.Ffmpeg!, ["VMAF_MODEL"] = vmaf.Model! };

        var (code, text) = await RunAsync(environment, "compare", "--source", source, "--baseline", output, "--candidate", output, "--vmaf-subsample", "10");

        Assert.True(code == 0, text);
        using var report = JsonDocument.Parse(text[text.IndexOf('{', StringComparison.Ordinal)..]);
        var bdRate = report.RootElement.GetProperty("bdRate");
        Assert.All(new[] { "vmaf", "psnr", "ssim-db" }, m => Assert.Equal(0, bdRate.GetProperty(m).GetDouble(), 6));
        var rungs = report.RootElement.GetProperty("baseline").EnumerateArray().ToList();
        Assert.Equal(2, rungs.Count);
        Assert.All(rungs, r => Assert.InRange(r.GetProperty("scores").GetProperty("vmaf").GetDouble(), 1, 100));

        var (bad, message) = await RunAsync("compare", "--source", source, "--baseline", output, "--candidate", output, "--vmaf-ffmpeg", source);
        Assert.Equal(2, bad);
        Assert.Contains("--vmaf-ffmpeg", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encode_MissingInput_ClearError()
    {
        using var dir = new TempDirectory();

        var (code, text) = await RunAsync("encode", "--input", Path.Combine(dir.Path, "nope.mp4"), "--output", Path.Combine(dir.Path, "o", "t"));

        Assert.Equal(2, code);
        Assert.Contains("nope.mp4' does not exist", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encode_NotAVideo_ClearError()
    {
        using var dir = new TempDirectory();
        var input = Path.Combine(dir.Path, "notes.mp4");
        await File.WriteAllTextAsync(input, "these are not frames");

        var (code, text) = await RunAsync("encode", "--input", input, "--output", Path.Combine(dir.Path, "o", "t"));

        Assert.Equal(2, code);
        Assert.Contains("is not a video ffprobe can read", text, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "o", "t")));
    }

    [Fact]
    public async Task Encode_AudioOnlyInput_ClearError()
    {
        using var dir = new TempDirectory();
        var input = await Sources.AudioOnlyAsync(dir.Path);

        var (code, text) = await RunAsync("encode", "--input", input, "--output", Path.Combine(dir.Path, "o", "t"));

        Assert.Equal(2, code);
        Assert.Contains("has no video stream", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encode_DirectoryAsInput_ClearError()
    {
        using var dir = new TempDirectory();

        var (code, text) = await RunAsync("encode", "--input", dir.Path, "--output", Path.Combine(dir.Path, "o", "t"));

        Assert.Equal(2, code);
        Assert.Contains("is a directory, not a video file", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encode_NoFfmpegOnPath_SaysWhatToInstall()
    {
        using var dir = new TempDirectory();
        var input = await Sources.HardAsync(dir.Path, 320, 180, seconds: 1);
        var dotnetDir = Path.GetDirectoryName(Environment.ProcessPath)!;

        var (code, text) = await RunAsync(new Dictionary<string, string> { ["PATH"] = dotnetDir }, "encode", "--input", input, "--output", Path.Combine(dir.Path, "o", "t"));

        Assert.Equal(2, code);
        Assert.Contains("ffmpeg and ffprobe were not found on PATH", text, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y ffmpeg", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--codec", "vp8", "--codec must be h264, hevc or av1")]
    [InlineData("--segment-duration", "abc", "--segment-duration must be a number")]
    [InlineData("--ladder", "/no/such/ladder.json", "'/no/such/ladder.json' does not exist")]
    [InlineData("--metric", "butteraugli", "--metric must be auto, vmaf, ssim or psnr")]
    [InlineData("--bogus", "1", "unknown option '--bogus'")]
    public async Task Encode_BadOption_ExitCode2NamesTheOption(string name, string value, string expected)
    {
        using var dir = new TempDirectory();
        var input = await Sources.HardAsync(dir.Path, 320, 180, seconds: 1);
        string[] extra = name == "--metric" ? ["--ladder", "per-title"] : [];

        var (code, text) = await RunAsync(["encode", "--input", input, "--output", Path.Combine(dir.Path, "o", "t"), name, value, .. extra]);

        Assert.Equal(2, code);
        Assert.Contains(expected, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encode_BadTitleId_Refused()
    {
        using var dir = new TempDirectory();
        var input = await Sources.HardAsync(dir.Path, 320, 180, seconds: 1);

        var (code, text) = await RunAsync("encode", "--input", input, "--output", Path.Combine(dir.Path, "o", ".hidden"));

        Assert.Equal(2, code);
        Assert.Contains("title id '.hidden'", text, StringComparison.Ordinal);
    }
}
