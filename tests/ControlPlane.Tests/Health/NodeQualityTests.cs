using System.Net;
using System.Text.Json;

namespace Edge.ControlPlane.Tests.Health;

/// <summary>What a node's players report in CMCD reaches the node list the operator page shows.</summary>
public sealed class NodeQualityTests
{
    private const string Topology = """
        {"sites": [{"id": "ams", "prefixes": ["127.0.0.0/8"]}],
         "nodes": [{"id": "edge-1", "site": "ams", "url": "http://127.0.0.1:1", "capacityBps": 1000000000}]}
        """;

    [Fact]
    public async Task Heartbeat_WithPlayerQuality_ShownInTheNodeList()
    {
        await using var host = await ControlPlaneHost.StartAsync(Topology);

        using var response = await host.Client.PostAsync("/v1/nodes/edge-1/heartbeat", new StringContent(
            """{"nodeId":"edge-1","ready":true,"playerSessions":42,"rebufferingShare":0.015,"meanBitrateKbps":4200}""",
            System.Text.Encoding.UTF8,
            "application/json"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using var nodes = JsonDocument.Parse(await host.Client.GetStringAsync("/v1/nodes"));
        var node = nodes.RootElement.GetProperty("nodes")[0];
        Assert.Equal(42, node.GetProperty("playerSessions").GetInt32());
        Assert.Equal(0.015, node.GetProperty("rebufferingShare").GetDouble());
        Assert.Equal(4200, node.GetProperty("meanBitrateKbps").GetInt64());
    }
}
