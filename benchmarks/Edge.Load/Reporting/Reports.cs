using System.Text.Json;
using System.Text.Json.Serialization;

namespace Edge.Load.Reporting;

/// <summary>What one HTTP load run did.</summary>
internal sealed record HttpRunReport(
    string Mode,
    int Connections,
    double? TargetRate,
    double Seconds,
    long Requests,
    long Bytes,
    double RequestsPerSecond,
    double BytesPerSecond,
    LatencySummary Latency,
    IReadOnlyDictionary<string, long> StatusCodes,
    IReadOnlyDictionary<string, long> Errors,
    long InFlightAtStop);

/// <summary>One simulated viewer.</summary>
internal sealed record SessionReport(
    int Viewer,
    double? StartupMs,
    int Segments,
    long Bytes,
    LatencySummary SegmentLatency,
    int VideoSegments,
    int VideoSegmentHits,
    int Rebuffers,
    double RebufferSeconds,
    double AchievedKbps,
    int Switches,
    int Failovers,
    IReadOnlyDictionary<string, int> Nodes,
    IReadOnlyDictionary<string, long> Errors,
    string? Failure);

/// <summary>What a run of simulated viewers saw, together and one by one.</summary>
internal sealed record PlayersReport(
    int Viewers,
    double Seconds,
    long Requests,
    long Bytes,
    double BytesPerSecond,
    LatencySummary Startup,
    LatencySummary SegmentLatency,
    double SegmentHitRatio,
    int Rebuffers,
    double RebufferRatio,
    double MeanAchievedKbps,
    int FailedSessions,
    IReadOnlyDictionary<string, long> Errors,
    IReadOnlyList<SessionReport> Sessions);

/// <summary>What a run of low-latency live viewers saw: blocking reloads, part fetches, and how far behind live parts arrived.</summary>
internal sealed record LiveReport(
    int Viewers,
    double Seconds,
    long Requests,
    long Bytes,
    LatencySummary Reloads,
    LatencySummary PartFetches,
    LatencySummary PartBehindLive,
    int FailedViewers,
    IReadOnlyDictionary<string, long> StatusCodes,
    IReadOnlyDictionary<string, long> Errors);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(HttpRunReport))]
[JsonSerializable(typeof(PlayersReport))]
[JsonSerializable(typeof(LiveReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
