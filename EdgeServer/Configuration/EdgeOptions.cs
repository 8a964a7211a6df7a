namespace Edge.EdgeServer.Configuration;

/// <summary>
/// Tunables of one edge node, bound from the <c>Edge</c> configuration section
/// (appsettings, <c>Edge__*</c> environment variables or <c>--Edge:*</c> command-line arguments).
/// </summary>
public sealed class EdgeOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Edge";

    /// <summary>
    /// Directory that holds cached objects when <see cref="CacheDirectories"/> is empty, and the node's own state (pins,
    /// fill jobs) in either case. Created if missing; must be writable.
    /// </summary>
    /// <remarks>Required unless <see cref="CacheDirectories"/> lists disks (then state is kept on the first).</remarks>
    public string CacheDirectory { get; set; } = "";

    /// <summary>
    /// The cache disks, each a directory (usually a mount point) with its own byte budget:
    /// <c>Edge:CacheDirectories:0:Path=/srv/disk1</c>, <c>Edge:CacheDirectories:0:MaxBytes=...</c>. Objects are spread
    /// over them by consistent hashing, weighted by budget; a disk that fails is taken out of service and used again
    /// when it works. Empty means one disk: <see cref="CacheDirectory"/> with <see cref="CacheMaxBytes"/>.
    /// </summary>
    /// <remarks>Defaults to none.</remarks>
    public IList<CacheDirectoryOptions> CacheDirectories { get; } = [];

    /// <summary>How often every cache disk is checked (a file made and removed, its marker read), and a failed one tried again.</summary>
    /// <remarks>Defaults to 5 seconds. Zero turns the periodic check off; I/O errors still take a disk out of service.</remarks>
    public TimeSpan CacheDiskCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Absolute http(s) URL that misses are filled from: an origin, or a parent edge node (which makes tiers).</summary>
    /// <remarks>Required; there is no default.</remarks>
    public string OriginUrl { get; set; } = "";

    /// <summary>
    /// Cached objects whose files are kept open for fast hits; idle ones beyond it are closed and reopened on their next
    /// hit. 0 sizes it from the process's open-file limit: half of it (at most 65,536), the rest left to connections.
    /// </summary>
    /// <remarks>Defaults to 0 (from the limit).</remarks>
    public int MaxOpenFiles { get; set; }

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

    /// <summary>
    /// Send each heartbeat to every address a control-plane URL's host name resolves to, resolved each round: with a
    /// Kubernetes headless Service, every replica of a control-plane Deployment hears every node.
    /// </summary>
    /// <remarks>Defaults to false: one request per URL, to whichever replica the name leads to.</remarks>
    public bool ControlPlaneResolveAll { get; set; }

    /// <summary>
    /// Bearer token the node presents with its heartbeats: hex HMAC-SHA256 of the node id under one of the control
    /// planes' <c>ControlPlane:NodeKeys</c>.
    /// </summary>
    /// <remarks>Defaults to none.</remarks>
    public string ControlPlaneToken { get; set; } = "";

    /// <summary>
    /// File holding <see cref="ControlPlaneToken"/> instead (a mounted secret), read again whenever it changes, so a
    /// rotated secret takes effect without a restart.
    /// </summary>
    /// <remarks>Defaults to none.</remarks>
    public string ControlPlaneTokenFile { get; set; } = "";

    /// <summary>How often the node reports to the control planes.</summary>
    /// <remarks>Defaults to 1 second.</remarks>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Memory budget for the memory tier (manifests, init segments, hot segments); 0 turns it off.</summary>
    /// <remarks>Defaults to 256 MiB.</remarks>
    public long MemoryCacheMaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Largest object the memory tier holds.</summary>
    /// <remarks>Defaults to 8 MiB.</remarks>
    public long MemoryCacheMaxObjectBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>
    /// Forward requests with methods the cache does not answer (POST, PUT, DELETE, PATCH...) to the origin, under the
    /// same slots (<see cref="OriginMaxConcurrentFills"/>) and timeouts as fills; a success invalidates the stored
    /// target and any same-origin <c>Location</c>/<c>Content-Location</c> (RFC 9111 §4.4).
    /// </summary>
    /// <remarks>Defaults to false: a video edge answers them 405, so no client can reach the origin or drop cached objects with them.</remarks>
    public bool ForwardUnsafeMethods { get; set; }

    /// <summary>
    /// Request header fields never forwarded to the origin, comma-separated, besides hop-by-hop fields, <c>Host</c>,
    /// <c>Range</c> and conditionals (the node fills whole objects and answers those itself). Empty forwards them all.
    /// </summary>
    /// <remarks>
    /// Defaults to <c>Cookie</c>, which a public video edge must not let shape a response other clients get, and the
    /// fields origins and frameworks are known to reflect into responses or to route by, the usual way to poison a
    /// shared cache (<c>X-Forwarded-Host</c> and its kin, <c>Forwarded</c>, <c>X-Original-URL</c>,
    /// <c>X-Rewrite-URL</c>, method overrides). <c>Authorization</c> is forwarded, and a response to it is stored
    /// only when it says it may be shared (<c>public</c>, <c>s-maxage</c>, <c>must-revalidate</c>; RFC 9111 §3.5).
    /// </remarks>
    public string StripRequestHeaders { get; set; } = DefaultStripRequestHeaders;

    /// <summary>The default of <see cref="StripRequestHeaders"/>.</summary>
    public const string DefaultStripRequestHeaders =
        "Cookie, X-Forwarded-Host, X-Forwarded-Server, X-Forwarded-Proto, X-Forwarded-Port, X-Forwarded-Scheme, X-Host, Forwarded, "
        + "X-Original-URL, X-Rewrite-URL, X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override";

    /// <summary>The names in <see cref="StripRequestHeaders"/>.</summary>
    public IReadOnlyList<string> StrippedRequestHeaders() =>
        StripRequestHeaders.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// How long a 404 or 410 without explicit freshness (no <c>max-age</c>, <c>s-maxage</c> or <c>Expires</c>) is
    /// stored, so a storm of requests for a missing object reaches the origin once per this time; zero stores none.
    /// </summary>
    /// <remarks>Defaults to 2 seconds: short enough that an object published late is seen at once.</remarks>
    public TimeSpan NegativeTtl { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long an HLS playlist or DASH MPD without explicit freshness (no <c>max-age</c>, <c>s-maxage</c> or
    /// <c>Expires</c>) is fresh, instead of a heuristic from <c>Last-Modified</c>: a live playlist changes every part,
    /// and a heuristic could serve it minutes out of date. Zero revalidates on every request.
    /// </summary>
    /// <remarks>Defaults to 1 second: two parts of a low-latency stream, far less than any live segment.</remarks>
    public TimeSpan ManifestTtl { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most variants (by <c>Vary</c>) stored for one object; responses for further variants are served, not stored.</summary>
    /// <remarks>Defaults to 16: enough for encodings and a few origins, not for a <c>Vary: User-Agent</c>.</remarks>
    public int MaxVariants { get; set; } = 16;

    /// <summary>Most fills this node runs against its origin at once; further misses wait for a slot.</summary>
    /// <remarks>Defaults to 64. Protects the origin from a flood of distinct cold URLs.</remarks>
    public int OriginMaxConcurrentFills { get; set; } = 64;

    /// <summary>
    /// Bearer tokens accepted on the operator endpoints under <c>/admin</c>; list two while rotating.
    /// </summary>
    /// <remarks>Defaults to none: then only loopback clients may use <c>/admin</c>.</remarks>
    public IList<string> AdminTokens { get; } = [];

    /// <summary>
    /// Web origins (<c>https://ops.example.net</c>) whose pages may call <c>/admin</c> from a browser, such as the
    /// control plane's operator page; they still need a token (or loopback) like any other caller.
    /// </summary>
    /// <remarks>Defaults to none: browsers on other origins cannot read or send operator requests.</remarks>
    public IList<string> AdminCorsOrigins { get; } = [];

    /// <summary>File extensions the node serves (<c>.m3u8</c>, <c>.m4s</c>...); others get 403 before any origin work.</summary>
    /// <remarks>Defaults to none, which serves every type; production configurations list the media types.</remarks>
    public IList<string> AllowedExtensions { get; } = [];

    /// <summary>Signed URLs (<c>Edge:UrlSigning:*</c>).</summary>
    public UrlSigningOptions UrlSigning { get; } = new();

    /// <summary>TLS for <c>https://</c> endpoints (<c>Edge:Tls:*</c>).</summary>
    public TlsOptions Tls { get; } = new();

    /// <summary>Connection and request limits (<c>Edge:Limits:*</c>).</summary>
    public LimitsOptions Limits { get; } = new();

    /// <summary>How Kestrel's sockets and output buffers run (<c>Edge:Transport:*</c>).</summary>
    public TransportOptions Transport { get; } = new();

    /// <summary>What of a request's query is in its cache key and sent to the origin (<c>Edge:CacheKey:*</c>).</summary>
    public CacheKeyOptions CacheKey { get; } = new();

    /// <summary>Fetching a player's next object before it asks, from CMCD's <c>nor</c> (<c>Edge:Prefetch:*</c>).</summary>
    public PrefetchOptions Prefetch { get; } = new();

    /// <summary>Proactive fill.</summary>
    public FillOptions Fill { get; } = new();

    /// <summary>Disk admission.</summary>
    public AdmissionOptions Admission { get; } = new();
}

/// <summary>One cache disk (<c>Edge:CacheDirectories:N:*</c>).</summary>
public sealed class CacheDirectoryOptions
{
    /// <summary>The directory; created if missing, must be writable.</summary>
    /// <remarks>Required.</remarks>
    public string Path { get; set; } = "";

    /// <summary>Bytes this disk may hold, headers included; leave room for the file system's own use.</summary>
    /// <remarks>Required.</remarks>
    public long MaxBytes { get; set; }
}

/// <summary>
/// The cache key (<c>Edge:CacheKey:*</c>): the request path, plus its query as these settings say. The key's query is
/// what the origin is sent. Signed-URL tokens (<c>/_t/...</c>) are never part of it.
/// </summary>
public class CacheKeyOptions
{
    /// <summary><c>Keep</c> the query as sent, <c>Sort</c> its parameters by name, or <c>Ignore</c> it.</summary>
    /// <remarks>Defaults to <c>Keep</c>.</remarks>
    public string Query { get; set; } = QueryModes.Keep;

    /// <summary>If any are listed, only these query parameters are kept (exact names, as sent).</summary>
    /// <remarks>Defaults to none: every parameter is kept.</remarks>
    public IList<string> KeepParameters { get; } = [];

    /// <summary>Query parameters left out of the key and of the origin request (per-viewer tokens, analytics).</summary>
    /// <remarks>Defaults to none.</remarks>
    public IList<string> DropParameters { get; } = [];

    /// <summary>Per path prefix (<c>Edge:CacheKey:Rules:N:Prefix</c>), the same three settings; the longest matching prefix wins.</summary>
    /// <remarks>Defaults to none.</remarks>
    public IList<CacheKeyRule> Rules { get; } = [];
}

/// <summary>A cache key rule for the paths under <see cref="Prefix"/>.</summary>
public sealed class CacheKeyRule : CacheKeyOptions
{
    /// <summary>The path prefix, e.g. <c>/live/</c>.</summary>
    /// <remarks>Required.</remarks>
    public string Prefix { get; set; } = "";
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

    /// <summary>
    /// Longest a fill of a live title keeps following its playlists (reading them again as they grow and fetching what
    /// they add) when the event does not end first.
    /// </summary>
    /// <remarks>Defaults to 24 hours: longer than any event, short enough that a forgotten job stops by itself.</remarks>
    public TimeSpan LiveFollowLimit { get; set; } = TimeSpan.FromHours(24);
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

/// <summary>
/// Limits against abusive or broken clients (<c>Edge:Limits:*</c>), applied to Kestrel and to each client address.
/// </summary>
public sealed class LimitsOptions
{
    /// <summary>Open client connections the node accepts; more are refused.</summary>
    /// <remarks>Defaults to 20,000.</remarks>
    public long MaxConnections { get; set; } = 20_000;

    /// <summary>Open connections one client (an IPv4 address or an IPv6 /64) may hold; more from it are closed at once. 0 means no limit.</summary>
    /// <remarks>Defaults to 1,024: a player uses a handful, a carrier NAT or a load generator many more.</remarks>
    public int MaxConnectionsPerClient { get; set; } = 1024;

    /// <summary>
    /// Connections that have not yet sent a whole request (TLS handshake or headers still arriving) the node keeps;
    /// past it the oldest of them is closed, so slow-header clients cannot take the slots players use. 0 means no limit.
    /// </summary>
    /// <remarks>Defaults to 2,048: a player finishes its headers in milliseconds, so even a busy node has few at once.</remarks>
    public int MaxHalfOpenConnections { get; set; } = 2048;

    /// <summary>Half-open connections one client (an IPv4 address or an IPv6 /64) may hold; more from it are closed at once. 0 means no limit.</summary>
    /// <remarks>Defaults to 64.</remarks>
    public int MaxHalfOpenConnectionsPerClient { get; set; } = 64;

    /// <summary>Longest request line (method, target, version) in bytes; longer gets 414.</summary>
    /// <remarks>Defaults to 4 KiB. Must exceed <c>Edge:MaxPathLength</c>.</remarks>
    public int MaxRequestLineBytes { get; set; } = 4096;

    /// <summary>Total size of a request's headers in bytes; more gets 431.</summary>
    /// <remarks>Defaults to 16 KiB.</remarks>
    public int MaxRequestHeadersBytes { get; set; } = 16 * 1024;

    /// <summary>Headers one request may carry; more gets 431.</summary>
    /// <remarks>Defaults to 64.</remarks>
    public int MaxRequestHeaderCount { get; set; } = 64;

    /// <summary>Time a client has to send a whole request's headers (slowloris).</summary>
    /// <remarks>Defaults to 10 seconds.</remarks>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time an idle keep-alive connection is kept open.</summary>
    /// <remarks>Defaults to 60 seconds.</remarks>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Kestrel's floor on a client's read rate, in bytes per second after a 5 s grace. Kestrel allows each write its
    /// size divided by this rate, so it catches very slow readers of small writes; <see cref="ResponseStallTimeout"/>
    /// is what cuts a stuck reader of a large body. 0 turns it off.
    /// </summary>
    /// <remarks>Defaults to 240, Kestrel's own.</remarks>
    public double MinResponseBytesPerSecond { get; set; } = 240;

    /// <summary>
    /// Longest a response body write may wait on its client before the response is cut. A write waits once the
    /// node's 64 KiB output buffer is full, so this cuts readers that take less than that in this time. Zero turns it off.
    /// </summary>
    /// <remarks>Defaults to 30 seconds: a player at any video bitrate empties the buffer in well under a second.</remarks>
    public TimeSpan ResponseStallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Concurrent HTTP/2 streams per connection.</summary>
    /// <remarks>Defaults to 100.</remarks>
    public int Http2MaxStreamsPerConnection { get; set; } = 100;
}

/// <summary>
/// Kestrel's socket transport and output buffering (<c>Edge:Transport:*</c>). The defaults are what measured best in
/// <c>benchmarks/compare-nginx.sh</c> on a 2-core node; the benchmarks README has the numbers.
/// </summary>
public sealed class PrefetchOptions
{
    /// <summary>
    /// Whether a request whose CMCD names the player's next object (<c>nor</c>) starts that object's fill in the
    /// background when it is not stored, so the player's next request is a hit.
    /// </summary>
    /// <remarks>Defaults to true: the fill is one the player would cause a moment later anyway.</remarks>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The share of <see cref="EdgeOptions.OriginMaxConcurrentFills"/> prefetches may hold at once; beyond it a hint
    /// is dropped, so players' own misses always find origin slots.
    /// </summary>
    /// <remarks>Defaults to 0.25 (16 of the default 64 slots).</remarks>
    public double MaxOriginShare { get; set; } = 0.25;
}

public sealed class TransportOptions
{
    /// <summary>
    /// Whether socket completions run the request's continuation on the socket's I/O thread instead of queuing it to
    /// the thread pool (Kestrel's <c>UnsafePreferInlineScheduling</c>). It saves a thread hop per read and write, but
    /// a request that blocks holds every connection of that I/O thread.
    /// </summary>
    /// <remarks>Defaults to false.</remarks>
    public bool InlineScheduling { get; set; }

    /// <summary>
    /// Whether a connection waits for data with a zero-byte read before it takes a receive buffer (Kestrel's
    /// <c>WaitForDataBeforeAllocatingBuffer</c>). On, an idle keep-alive connection holds no buffer but each request
    /// costs a second receive call; off, every open connection holds a 4 KiB buffer.
    /// </summary>
    /// <remarks>Defaults to true, Kestrel's own.</remarks>
    public bool WaitForDataBeforeAllocatingBuffer { get; set; } = true;

    /// <summary>Socket I/O threads (Kestrel's <c>IOQueueCount</c>); 0 keeps Kestrel's own count (the cores, at most 16).</summary>
    /// <remarks>Defaults to 0.</remarks>
    public int IOQueueCount { get; set; }

    /// <summary>
    /// Bytes of a response Kestrel buffers before a body write waits for the socket (Kestrel's
    /// <c>MaxResponseBufferSize</c>). Larger means fewer waits and larger socket writes for big segments, and up to
    /// this much memory per connection whose client reads slowly.
    /// </summary>
    /// <remarks>Defaults to 64 KiB, Kestrel's own.</remarks>
    public long MaxResponseBufferBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Size of the pinned blocks Kestrel's sockets, TLS and response bodies are buffered in, from a pool kept per core;
    /// 0 keeps Kestrel's own pool (4 KiB blocks in one shared queue). A multiple of 4 KiB, at most 1 MiB.
    /// </summary>
    /// <remarks>Defaults to 16 KiB.</remarks>
    public int MemoryBlockBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Whether plain-HTTP connections send bodies the memory tier holds straight from that memory, gathered with the
    /// response head into one system call, instead of copying them into Kestrel's buffers first (as nginx's
    /// <c>sendfile</c> copies nothing); and disk hits from the pooled buffer each chunk is read and checked in.
    /// HTTPS connections are unaffected: TLS copies every byte as it encrypts.
    /// </summary>
    /// <remarks>Defaults to true.</remarks>
    public bool DirectSend { get; set; } = true;

    /// <summary>Smallest body sent directly; smaller ones are copied, which costs less than handing them over.</summary>
    /// <remarks>Defaults to 16 KiB.</remarks>
    public int DirectSendMinBytes { get; set; } = 16 * 1024;

    /// <summary>Most bytes of idle blocks the pool keeps for reuse; blocks returned past it are left to the GC.</summary>
    /// <remarks>Defaults to 64 MiB.</remarks>
    public long MemoryPoolMaxIdleBytes { get; set; } = 64L * 1024 * 1024;
}

/// <summary>The certificate for <c>https://</c> endpoints (<c>Edge:Tls:*</c>), reloaded when its files change.</summary>
public sealed class TlsOptions
{
    /// <summary>PEM file of the certificate (with its chain).</summary>
    /// <remarks>Defaults to none: https endpoints then need Kestrel's own certificate configuration.</remarks>
    public string CertificatePath { get; set; } = "";

    /// <summary>PEM file of the private key.</summary>
    /// <remarks>Defaults to the certificate file, for a combined PEM.</remarks>
    public string KeyPath { get; set; } = "";
}

/// <summary>
/// Signed URLs (<c>Edge:UrlSigning:*</c>): <c>/_t/{token}/title/...</c> tokens made by the control plane with the same keys.
/// </summary>
public sealed class UrlSigningOptions
{
    /// <summary>Verification keys by id, each base64 of at least 32 bytes (<c>Edge:UrlSigning:Keys:k2026a=...</c>); several while rotating.</summary>
    /// <remarks>Defaults to none: tokens are neither needed nor checked.</remarks>
    public IDictionary<string, string> Keys { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Whether every object request needs a valid token; without one it gets 403 <c>missing-token</c>.</summary>
    /// <remarks>Defaults to false: a token, when present, is still checked.</remarks>
    public bool Required { get; set; }

    internal Dictionary<string, byte[]> ParsedKeys() => Edge.Contracts.UrlSignature.ParseKeys(Keys);
}
