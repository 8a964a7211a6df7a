using System.Text.Json;
using Edge.Contracts;
using Edge.ControlPlane.Configuration;
using Edge.ControlPlane.Metrics;
using Edge.ControlPlane.Steering;
using Edge.ControlPlane.Topology;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
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

        app.MapPost("/v1/nodes/{id}/heartbeat", async (HttpContext context, string id) =>
        {
            NodeReport? report;
            try
            {
                // Enforced by the server for chunked bodies too, not only from Content-Length.
                if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                {
                    limit.MaxRequestBodySize = MaxReportBytes;
                }

                report = await JsonSerializer.DeserializeAsync(context.Request.Body, ContractsJsonContext.Default.NodeReport, context.RequestAborted);
            }
            catch (JsonException ex)
            {
                metrics.Heartbeats.WithLabels("invalid").Inc();
                await PlayerHttp.TextAsync(context, StatusCodes.Status400BadRequest, "invalid heartbeat: " + ex.Message + "\n");
                return;
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                metrics.Heartbeats.WithLabels("invalid").Inc();
                await PlayerHttp.TextAsync(context, StatusCodes.Status413PayloadTooLarge, $"invalid heartbeat: a report is at most {MaxReportBytes} bytes\n");
                return;
            }

            if ((report is null ? "the body is empty" : NodeReportRules.Problem(report, id)) is { } problem)
            {
                metrics.Heartbeats.WithLabels("invalid").Inc();
                await PlayerHttp.TextAsync(context, StatusCodes.Status400BadRequest, "invalid heartbeat: " + problem + "\n");
                return;
            }

            var verified = context.User.HasClaim(NodeAuthenticationHandler.VerifiedClaim, id);
            if (!tracker.RecordHeartbeat(report!, verified))
            {
                metrics.Heartbeats.WithLabels("unknown_node").Inc();
                await PlayerHttp.TextAsync(context, StatusCodes.Status404NotFound, $"node '{id}' is not in the topology\n");
                return;
            }

            metrics.Heartbeats.WithLabels("accepted").Inc();
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }).RequireAuthorization(NodeAuthenticationHandler.PolicyName);

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
                    PlayerSessions = status.PlayerSessions,
                    RebufferingShare = status.RebufferingShare,
                    MeanBitrateKbps = status.MeanBitrateKbps,
                    LastHeartbeat = status.LastHeartbeat,
                    ProbeFailures = status.ConsecutiveProbeFailures,
                };
            }).ToList();
            context.Response.Headers.CacheControl = "no-store";
            return context.Response.WriteAsJsonAsync(new NodeList(view.At, nodes), ControlPlaneJsonContext.Default.NodeList, "application/json", context.RequestAborted);
        }).RequireAuthorization(OperatorAuthenticationHandler.PolicyName);

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
        }).RequireAuthorization(OperatorAuthenticationHandler.PolicyName);
    }
}
