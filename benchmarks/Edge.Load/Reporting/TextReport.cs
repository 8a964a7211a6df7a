using System.Globalization;

namespace Edge.Load.Reporting;

/// <summary>Reports as tables for a terminal.</summary>
internal static class TextReport
{
    public static void Write(TextWriter output, HttpRunReport report)
    {
        output.WriteLine(Invariant($"{report.Mode}, {report.Connections} connections{(report.TargetRate is { } rate ? $", target {rate:0.#} req/s" : "")}, {report.Seconds:0.###} s"));
        output.WriteLine();
        Rows(output, [
            ("requests", Invariant($"{report.Requests:N0}")),
            ("requests/s", Invariant($"{report.RequestsPerSecond:N1}")),
            ("bytes/s", Bytes(report.BytesPerSecond) + "/s"),
            ("bytes", Bytes(report.Bytes)),
            ("in flight at stop", Invariant($"{report.InFlightAtStop:N0}")),
        ]);
        output.WriteLine();
        Latency(output, "latency", report.Latency);
        Counts(output, "status", report.StatusCodes);
        Counts(output, "errors", report.Errors);
    }

    public static void Write(TextWriter output, PlayersReport report)
    {
        output.WriteLine(Invariant($"{report.Viewers} viewers, {report.Seconds:0.###} s"));
        output.WriteLine();
        Rows(output, [
            ("requests", Invariant($"{report.Requests:N0}")),
            ("bytes/s", Bytes(report.BytesPerSecond) + "/s"),
            ("video segment hits", Invariant($"{report.SegmentHitRatio:P1} (Cache-Status of the answering node)")),
            ("rebuffers", Invariant($"{report.Rebuffers:N0} (ratio {report.RebufferRatio:0.####})")),
            ("mean achieved bitrate", Invariant($"{report.MeanAchievedKbps:N0} kbit/s")),
            ("failed sessions", Invariant($"{report.FailedSessions:N0}")),
        ]);
        output.WriteLine();
        Latency(output, "startup", report.Startup);
        Latency(output, "segment latency", report.SegmentLatency);
        Counts(output, "errors", report.Errors);
        output.WriteLine();
        output.WriteLine("viewer  startup_ms  segments  seg_p50_ms  seg_p99_ms  rebuffers  stalled_s  kbit/s  switches  failovers  nodes");
        foreach (var s in report.Sessions)
        {
            var nodes = string.Join(",", s.Nodes.Select(n => $"{n.Key}:{n.Value}"));
            output.WriteLine(Invariant($"{s.Viewer,6}  {s.StartupMs?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-",10}  {s.Segments,8}  {s.SegmentLatency.P50Ms,10:0.00}  {s.SegmentLatency.P99Ms,10:0.00}  {s.Rebuffers,9}  {s.RebufferSeconds,9:0.00}  {s.AchievedKbps,6:0}  {s.Switches,8}  {s.Failovers,9}  {nodes}{(s.Failure is null ? "" : "  FAILED: " + s.Failure)}"));
        }
    }

    public static void Write(TextWriter output, LiveReport report)
    {
        output.WriteLine(Invariant($"{report.Viewers} low-latency viewers, {report.Seconds:0.###} s"));
        output.WriteLine();
        Rows(output, [
            ("requests", Invariant($"{report.Requests:N0}")),
            ("bytes", Bytes(report.Bytes)),
            ("failed viewers", Invariant($"{report.FailedViewers:N0}")),
        ]);
        output.WriteLine();
        Latency(output, "blocking reload", report.Reloads);
        Latency(output, "part fetch", report.PartFetches);
        Latency(output, "part behind live", report.PartBehindLive);
        Counts(output, "status codes", report.StatusCodes);
        Counts(output, "errors", report.Errors);
    }

    public static string Bytes(double bytes) => bytes switch
    {
        >= 1e9 => Invariant($"{bytes / 1e9:0.00} GB"),
        >= 1e6 => Invariant($"{bytes / 1e6:0.00} MB"),
        >= 1e3 => Invariant($"{bytes / 1e3:0.00} kB"),
        _ => Invariant($"{bytes:0} B"),
    };

    private static void Latency(TextWriter output, string title, LatencySummary latency)
    {
        output.WriteLine(Invariant($"{title,-16} {"p50",9} {"p90",9} {"p99",9} {"p99.9",9} {"max",9} {"mean",9}   (ms, {latency.Count:N0} samples)"));
        output.WriteLine(Invariant($"{"",-16} {latency.P50Ms,9:0.000} {latency.P90Ms,9:0.000} {latency.P99Ms,9:0.000} {latency.P999Ms,9:0.000} {latency.MaxMs,9:0.000} {latency.MeanMs,9:0.000}"));
    }

    private static void Counts(TextWriter output, string title, IReadOnlyDictionary<string, long> counts)
    {
        output.WriteLine(counts.Count == 0 ? $"{title}: none" : $"{title}: " + string.Join(", ", counts.Select(c => Invariant($"{c.Key} {c.Value:N0}"))));
    }

    private static void Rows(TextWriter output, (string Name, string Value)[] rows)
    {
        foreach (var (name, value) in rows)
        {
            output.WriteLine($"{name,-22} {value}");
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
