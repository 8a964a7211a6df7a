using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Edge.Testing;

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c> package) on a loopback port with its own configuration and storage,
/// for tests that prove alert rules and dashboard queries against what nodes really export.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output = new();
    private readonly TempDirectory _directory;

    private PrometheusServer(Process process, TempDirectory directory, string url)
    {
        _process = process;
        _directory = directory;
        Url = url;
        Client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Url { get; }

    public HttpClient Client { get; }

    public string Output => _output.ToString();

    /// <summary>
    /// Starts Prometheus with <paramref name="config"/> (a prometheus.yml; rule files it names are copied next to it
    /// from <paramref name="ruleFiles"/>) and waits until it is ready.
    /// </summary>
    public static async Task<PrometheusServer> StartAsync(string config, params string[] ruleFiles)
    {
        var directory = new TempDirectory();
        var configPath = Path.Combine(directory.Path, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, config);
        foreach (var rules in ruleFiles)
        {
            File.Copy(rules, Path.Combine(directory.Path, Path.GetFileName(rules)));
        }

        var port = FreePort.Next();
        var info = new ProcessStartInfo("prometheus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory.Path,
        };
        foreach (var arg in new[] { "--config.file=" + configPath, "--storage.tsdb.path=" + Path.Combine(directory.Path, "data"), $"--web.listen-address=127.0.0.1:{port}" })
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        var server = new PrometheusServer(process, directory, $"http://127.0.0.1:{port}");
        server._output.Start(process);
        await Poll.UntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException("prometheus exited:\n" + server.Output);
                }

                try
                {
                    using var ready = await server.Client.GetAsync("/-/ready");
                    return ready.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            "prometheus to be ready",
            TimeSpan.FromSeconds(60));
        return server;
    }

    /// <summary>The <c>data</c> of a successful API answer; throws with Prometheus's error otherwise.</summary>
    public async Task<JsonElement> ApiAsync(string pathAndQuery)
    {
        using var response = await Client.GetAsync(pathAndQuery);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (body.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"{pathAndQuery}: {body}");
        }

        return body.GetProperty("data").Clone();
    }

    /// <summary>An instant query's result vector (or scalar) for <paramref name="expression"/>.</summary>
    public async Task<JsonElement> QueryAsync(string expression) =>
        (await ApiAsync("/api/v1/query?query=" + Uri.EscapeDataString(expression))).GetProperty("result");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await ProcessOutput.WaitForExitAsync(_process, TimeSpan.FromSeconds(30));
        }

        _process.Dispose();
        _directory.Dispose();
    }
}
