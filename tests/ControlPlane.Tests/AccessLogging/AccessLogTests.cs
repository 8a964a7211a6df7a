using System.Text.Json;
using Edge.Testing;

namespace Edge.ControlPlane.Tests.AccessLogging;

/// <summary>The control plane writes the same access log lines as the edges, bodies counted as they are written.</summary>
public sealed class AccessLogTests
{
    private const string Topology = """{"sites": [{"id": "ams", "prefixes": ["127.0.0.0/8"]}]}""";

    [Fact]
    public async Task Get_HealthAndMetrics_OneLineEachWithTheBytesSent()
    {
        using var dir = new TempDirectory();
        var log = Path.Combine(dir.Path, "access.log");
        await using var host = await ControlPlaneHost.StartAsync(Topology, "--AccessLog:Enabled=true", $"--AccessLog:Path={log}");

        var health = await host.Client.GetStringAsync("/healthz");
        var metrics = await host.Client.GetByteArrayAsync("/metrics?x=1");

        string[] lines = [];
        await Poll.UntilAsync(() => Task.FromResult((lines = File.Exists(log) ? File.ReadAllLines(log) : []).Length >= 2), "two lines", TimeSpan.FromSeconds(10));
        using var first = JsonDocument.Parse(lines[0]);
        using var second = JsonDocument.Parse(lines[1]);
        var healthLine = first.RootElement;
        var metricsLine = second.RootElement;

        Assert.Equal("control-plane.access", healthLine.GetProperty("event").GetProperty("dataset").GetString());
        Assert.Equal("control-plane", healthLine.GetProperty("service").GetProperty("name").GetString());
        Assert.Equal("/healthz", healthLine.GetProperty("url").GetProperty("path").GetString());
        Assert.Equal(200, healthLine.GetProperty("http").GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal(health.Length, healthLine.GetProperty("http").GetProperty("response").GetProperty("body").GetProperty("bytes").GetInt64());
        Assert.Equal(metrics.Length, metricsLine.GetProperty("http").GetProperty("response").GetProperty("body").GetProperty("bytes").GetInt64());
        Assert.Equal("x=1", metricsLine.GetProperty("url").GetProperty("query").GetString());
        Assert.Equal("127.0.0.1", metricsLine.GetProperty("client").GetProperty("ip").GetString());
        Assert.True(metricsLine.GetProperty("event").GetProperty("duration").GetInt64() > 0);
    }
}
