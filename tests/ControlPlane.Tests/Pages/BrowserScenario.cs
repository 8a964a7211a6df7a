using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Edge.Testing;

namespace Edge.ControlPlane.Tests.Pages;

/// <summary>
/// Runs one scenario script of <c>Pages/browser</c> under Node.js (playwright-core driving Debian's Chromium) and
/// returns its JSON result. Screenshots go to <c>TestResults/screenshots/NAME</c> at the repository root.
/// </summary>
internal static class BrowserScenario
{
    public static string ScreenshotRoot => RepositoryFiles.PathOf("TestResults/screenshots");

    public static async Task<JsonElement> RunAsync(string script, string name, DemoCdn? demo, params string[] args)
    {
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryFiles.Root,
        };
        info.ArgumentList.Add(RepositoryFiles.PathOf("tests/ControlPlane.Tests/Pages/browser/" + script));
        info.ArgumentList.Add("--shots");
        info.ArgumentList.Add(Path.Combine(ScreenshotRoot, name));
        info.ArgumentList.Add("--segment");
        info.ArgumentList.Add(DemoFixture.SegmentSeconds.ToString(CultureInfo.InvariantCulture));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        JsonElement result;
        try
        {
            result = JsonDocument.Parse(last).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new InvalidOperationException($"{script} printed no result (exit {process.ExitCode}):\n{stdout}\n{await stderr}");
        }

        // Kept beside the screenshots: the measurements a scenario reports (latencies, failover times) are read there.
        Directory.CreateDirectory(Path.Combine(ScreenshotRoot, name));
        await File.WriteAllTextAsync(Path.Combine(ScreenshotRoot, name, "result.json"), last);

        if (!result.GetProperty("ok").GetBoolean())
        {
            var report = new StringBuilder()
                .AppendLine(CultureInfo.InvariantCulture, $"{script} failed: {result.GetProperty("error").GetString()}")
                .AppendLine(CultureInfo.InvariantCulture, $"page log: {result.GetProperty("log")}")
                .AppendLine(CultureInfo.InvariantCulture, $"pages: {result.GetProperty("pages")}")
                .AppendLine(CultureInfo.InvariantCulture, $"screenshots: {result.GetProperty("screenshots")}")
                .AppendLine("demo output:").Append(demo?.Output ?? "(no demo)");
            throw new InvalidOperationException(report.ToString());
        }

        return result;
    }
}
