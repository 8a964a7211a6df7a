using System.Text.Json;
using Edge.Contracts;
using Edge.ControlPlane.Configuration;
using Edge.ControlPlane.Metrics;
using Edge.ControlPlane.Steering;
using Edge.ControlPlane.Topology;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Edge.ControlPlane.Health;

/// <summary>Heartbeats in (<c>POST /v1/nodes/{id}/heartbeat</c>) and node and topology status out, for operators and their scripts.</summary>
internal static class NodeEndpoints
{
    private const int MaxReportBytes = 16 * 1024;

    public static void Map(WebApplication app)
    {
        var tracker = app.Services.GetRequiredService<NodeHealthTracker>();
        var topology = app.Services.GetRequiredService<TopologyStore>();
        var metrics = app.Services.GetRequiredService<ControlPlaneMetrics>();

        var nodeTokens = app.Services.GetRequiredService<IOptions<ControlPlaneOptions>>().Value.NodeTokens;
        var nodeCredentials = nodeTokens.Count > 0 ? new OperatorTokens(nodeTokens) : null;
        app.MapPost("/v1/nodes/{id}/heartbeat", async (HttpContext context, string id) =>
        {
            // With node tokens configured, only edges that present one are heard.
            if (nodeCredentials is not null
                && nodeCredentials.Check(context.Request.Headers.Authorization.ToString() is { Length: > 0 } header ? header : null, context.Connection.RemoteIpAddress) != OperatorAccess.Allowed)
            {
                metrics.Heartbeats.WithLabels("unauthorized").Inc();
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"edge-nodes\"";
                await PlayerHttp.TextAsync(context, StatusCodes.Status401Unauthorized, "unauthorized: a node token is required\n");
                return;
            }

            NodeReport? report;
            try
            {
                if (context.Request.ContentLength > MaxReportBytes)
                {
                    throw new JsonException($"a report is at most {MaxReportBytes} bytes");
                }

                report = await JsonSerializer.DeserializeAsync(context.Request.Body, ContractsJsonContext.Default.NodeReport, context.RequestAborted);
            }
            catch (JsonException ex)
            {
                metrics.Heartbeats.WithLabels("invalid").Inc();
                await PlayerHttp.TextAsync(context, StatusCodes.Status400BadRequest, "invalid heartbeat: " + ex.Message + "\n");
                return;
            }

            if (report is null || report.NodeId != id)
            {
                metrics.Heartbeats.WithLabels("invalid").Inc();
                await PlayerHttp.TextAsync(context, StatusCodes.Status400BadRequest, $"invalid heartbeat: the body's nodeId must be '{id}'\n");
                return;
            }

            if (!tracker.RecordHeartbeat(report))
            {
                metrics.Heartbeats.WithLabels("unknown_node").Inc();
                await PlayerHttp.TextAsync(context, StatusCodes.Status404NotFound, $"node '{id}' is not in the topology\n");
                return;
            }

            metrics.Heartbeats.WithLabels("accepted").Inc();
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        });

        app.MapGet("/v1/nodes", (HttpContext context) =>
        {
            var view = tracker.Refresh();
            var nodes = view.Topology.Nodes.Select(node =>
            {
                var status = view[node];
                return new NodeStatusReport
                {
                    Id = node.Id,
                    Site = node.Site.Id,
                    Url = node.BaseUrl,
                    CapacityBps = node.CapacityBps,
                    State = status.State == NodeState.Up ? "up" : "down",
                    StateSince = status.StateSince,
                    Eligible = status.Eligible,
                    Ready = status.Ready,
                    Draining = status.Draining,
                    Reason = status.Reason,
                    RampFraction = status.RampFraction,
                    EgressBitsPerSecond = status.ReportedEgressBps,
                    Utilization = (double)status.ReportedEgressBps / node.CapacityBps,
                    ActiveConnections = status.ActiveConnections,
                    CacheFullness = status.CacheFullness,
                    HitRatio = status.HitRatio,
                    LastHeartbeat = status.LastHeartbeat,
                    ProbeFailures = status.ConsecutiveProbeFailures,
                };
            }).ToList();
            context.Response.Headers.CacheControl = "no-store";
            return context.Response.WriteAsJsonAsync(new NodeList(view.At, nodes), ControlPlaneJsonContext.Default.NodeList, "application/json", context.RequestAborted);
        });

        app.MapGet("/v1/topology", (HttpContext context) =>
        {
            var current = topology.Current;
            var report = new TopologyReport
            {
                File = topology.FilePath,
                Version = topology.Version,
                LoadedAt = topology.LoadedAt,
                LastError = topology.LastError,
                LastErrorAt = topology.LastErrorAt,
                DefaultSite = current.DefaultSite.Id,
                Sites = [.. current.Sites.Select(s => new SiteReport(s.Id, s.Location?.Lat, s.Location?.Lon, s.Prefixes, [.. s.Fallback.Select(f => f.Id)], [.. s.Nodes.Select(n => n.Id)]))],
            };
            context.Response.Headers.CacheControl = "no-store";
            return context.Response.WriteAsJsonAsync(report, ControlPlaneJsonContext.Default.TopologyReport, "application/json", context.RequestAborted);
        });
    }
}
