using System.Diagnostics;
using System.Text.Json;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.EdgeServer.Tests.Conformance;

/// <summary>
/// The independent HTTP cache conformance suite (http-cache-tests from npm, the one behind cache-tests.fyi) run
/// against the edge as a shared cache, with its own origin server, as peers are scored.
/// </summary>
public sealed class CacheConformanceTests(ITestOutputHelper output)
{
    // The peers whose results the suite publishes (in its package's results folder), scored the same way.
    private static readonly string[] Peers = ["squid", "trafficserver", "varnish", "nginx", "apache"];

    private static readonly string Suite = RepositoryFiles.PathOf("node_modules/http-cache-tests");

    [Fact]
    public async Task Run_IndependentSuite_PassesMoreRequiredBehavioursThanAnyPeer()
    {
        Assert.True(Directory.Exists(Suite), $"{Suite} is missing: run npm ci at the repository root");
        using var work = new TempDirectory();
        var originPort = FreePort.Next();
        using var origin = Start("node", ["server/server.mjs"], new()
        {
            ["npm_config_port"] = originPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["npm_package_config_protocol"] = "http",
            ["npm_package_config_pidfile"] = Path.Combine(work.Path, "server.pid"),
        });

        // The server logs every request; its output is read so it never blocks on a full pipe.
        origin.OutputDataReceived += static (_, _) => { };
        origin.BeginOutputReadLine();
        try
        {
            await RunAsync(originPort, work.Path);
        }
        finally
        {
            origin.Kill(entireProcessTree: true);
        }
    }

    private async Task RunAsync(int originPort, string work)
    {
        using (var probe = new HttpClient())
        {
            await Poll.UntilAsync(async () =>
            {
                try
                {
                    using var response = await probe.GetAsync($"http://127.0.0.1:{originPort}/state/none");
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "the suite's origin server to listen", TimeSpan.FromSeconds(20));
        }

        // A shared cache that stores on the first request, as the suite expects; unsafe methods go to the origin. The
        // suite opens 100 connections at once from one address, more than a player would, so the per-client
        // half-open limit is raised.
        await using var edge = await EdgeHost.StartAsync(
            $"http://127.0.0.1:{originPort}",
            Path.Combine(work, "cache"),
            nodeId: "edge-conformance",
            extra: ["--Edge:Admission:DoorkeeperWindow=00:00:00", "--Edge:ForwardUnsafeMethods=true", "--Edge:Limits:MaxHalfOpenConnectionsPerClient=1024"]);

        using var client = Start("node", ["--no-warnings", "cli.mjs"], new()
        {
            ["npm_config_base"] = edge.Url.TrimEnd('/'),
            ["npm_config_id"] = "",
            ["npm_package_config_id"] = "",
        });
        var results = await client.StandardOutput.ReadToEndAsync();
        await client.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(5)).Token);
        var resultsFile = Path.Combine(work, "results.json");
        await File.WriteAllTextAsync(resultsFile, results);

        using var score = await ScoreAsync(resultsFile);
        var passed = score.RootElement.GetProperty("requiredPassed").GetInt32();
        var required = score.RootElement.GetProperty("required").GetInt32();
        output.WriteLine($"required {passed}/{required}, optimal and checks {score.RootElement.GetProperty("otherPassed").GetInt32()}/{score.RootElement.GetProperty("other").GetInt32()}");
        foreach (var failure in score.RootElement.GetProperty("failedRequired").EnumerateArray())
        {
            output.WriteLine("  failed: " + failure.GetString());
        }

        foreach (var peer in Peers)
        {
            using var theirs = await ScoreAsync(Path.Combine(Suite, "results", peer + ".json"));
            var peerPassed = theirs.RootElement.GetProperty("requiredPassed").GetInt32();
            output.WriteLine($"{peer}: required {peerPassed}/{theirs.RootElement.GetProperty("required").GetInt32()}");
            Assert.True(passed > peerPassed, $"{passed} of {required} required behaviours passed; {peer} passes {peerPassed}");
        }
    }

    private static async Task<JsonDocument> ScoreAsync(string resultsFile)
    {
        using var scorer = Start("node", [RepositoryFiles.PathOf("tests/EdgeServer.Tests/Conformance/score-cache-tests.mjs"), Suite, resultsFile], []);
        var text = await scorer.StandardOutput.ReadToEndAsync();
        await scorer.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token);
        return JsonDocument.Parse(text);
    }

    private static Process Start(string file, string[] args, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = Suite, RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return Process.Start(info)!;
    }
}
