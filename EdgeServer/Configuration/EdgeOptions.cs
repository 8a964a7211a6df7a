namespace Edge.EdgeServer.Configuration;

/// <summary>
/// Tunables of one edge node, bound from the <c>Edge</c> configuration section
/// (appsettings, <c>Edge__*</c> environment variables or <c>--Edge:*</c> command-line arguments).
/// </summary>
public sealed class EdgeOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Edge";

    /// <summary>Directory that holds cached objects. Created if missing; must be writable.</summary>
    /// <remarks>Required; there is no default.</remarks>
    public string CacheDirectory { get; set; } = "";

    /// <summary>Absolute http(s) URL that misses are filled from: an origin, or a parent edge node (which makes tiers).</summary>
    /// <remarks>Required; there is no default.</remarks>
    public string OriginUrl { get; set; } = "";

    /// <summary>Disk budget for cached objects, headers included. The cache never holds more.</summary>
    /// <remarks>Defaults to 10 GiB.</remarks>
    public long CacheMaxBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>Name of this node in <c>Cache-Status</c>, logs and metrics.</summary>
    /// <remarks>Defaults to the machine's host name.</remarks>
    public string NodeId { get; set; } = Environment.MachineName;

    /// <summary>Which objects leave the cache first when it is full: <c>S3Fifo</c> or <c>Lru</c>.</summary>
    /// <remarks>Defaults to <c>S3Fifo</c>, which keeps re-requested objects and lets one-hit wonders go first.</remarks>
    public string EvictionPolicy { get; set; } = EvictionPolicies.S3Fifo;

    /// <summary>Time allowed to connect to the origin.</summary>
    /// <remarks>Defaults to 5 seconds.</remarks>
    public TimeSpan OriginConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time allowed for the origin to send its response headers; past it the client gets 504.</summary>
    /// <remarks>Defaults to 15 seconds.</remarks>
    public TimeSpan OriginResponseTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest pause allowed between two reads of an origin body; past it the fill fails and nothing is stored.</summary>
    /// <remarks>Defaults to 30 seconds.</remarks>
    public TimeSpan OriginIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest request path accepted, in bytes; longer paths get 414.</summary>
    /// <remarks>Defaults to 1024.</remarks>
    public int MaxPathLength { get; set; } = 1024;

    /// <summary>Value of <c>Access-Control-Allow-Origin</c> sent to browsers; empty turns CORS off.</summary>
    /// <remarks>Defaults to <c>*</c>: web players run on other origins.</remarks>
    public string CorsAllowOrigin { get; set; } = "*";

    /// <summary>Control-plane replicas this node reports its health and load to; each gets every heartbeat.</summary>
    /// <remarks>Defaults to none: the node does not report (control planes still probe its <c>/readyz</c>).</remarks>
    public IList<string> ControlPlaneUrls { get; } = [];

    /// <summary>How often the node reports to the control planes.</summary>
    /// <remarks>Defaults to 1 second.</remarks>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Memory budget for the memory tier (manifests, init segments, hot segments); 0 turns it off.</summary>
    /// <remarks>Defaults to 256 MiB.</remarks>
    public long MemoryCacheMaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Largest object the memory tier holds.</summary>
    /// <remarks>Defaults to 8 MiB.</remarks>
    public long MemoryCacheMaxObjectBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>Proactive fill.</summary>
    public FillOptions Fill { get; } = new();

    /// <summary>Disk admission.</summary>
    public AdmissionOptions Admission { get; } = new();
}

/// <summary>Proactive fill settings (<c>Edge:Fill:*</c>).</summary>
public sealed class FillOptions
{
    /// <summary>Fill traffic ceiling in bytes per second; 0 means no limit.</summary>
    /// <remarks>Defaults to 0.</remarks>
    public long MaxBytesPerSecond { get; set; }

    /// <summary>Daily window, local time, in which queued fills run, e.g. <c>02:00-14:00</c>; empty means any time.</summary>
    /// <remarks>Defaults to empty. A window may wrap midnight (<c>22:00-06:00</c>).</remarks>
    public string Window { get; set; } = "";

    /// <summary>Objects a fill fetches at once.</summary>
    /// <remarks>Defaults to 4.</remarks>
    public int Concurrency { get; set; } = 4;
}

/// <summary>Which objects may enter the disk cache (<c>Edge:Admission:*</c>).</summary>
public sealed class AdmissionOptions
{
    /// <summary>
    /// A segment enters the disk cache on its second request within this window (a doorkeeper), so one-hit scans
    /// do not evict popular titles; manifests, init segments and fills are always admitted. Zero admits everything.
    /// </summary>
    /// <remarks>Defaults to 1 hour.</remarks>
    public TimeSpan DoorkeeperWindow { get; set; } = TimeSpan.FromHours(1);
}
