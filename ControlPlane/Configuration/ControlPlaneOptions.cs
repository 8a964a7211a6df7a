namespace Edge.ControlPlane.Configuration;

/// <summary>
/// Tunables of one control-plane replica, bound from the <c>ControlPlane</c> configuration section
/// (appsettings, <c>ControlPlane__*</c> environment variables or <c>--ControlPlane:*</c> arguments).
/// </summary>
public sealed class ControlPlaneOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "ControlPlane";

    /// <summary>JSON file describing sites, prefixes and nodes; reloaded when it changes.</summary>
    /// <remarks>Required; there is no default.</remarks>
    public string TopologyFile { get; set; } = "";

    /// <summary>How often edge nodes are expected to report.</summary>
    /// <remarks>Defaults to 1 second, the edge's <c>Edge:HeartbeatInterval</c> default.</remarks>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A node that has reported before is down after this many intervals without a report.</summary>
    /// <remarks>Defaults to 2: a dead node is out of answers within about 2.5 seconds.</remarks>
    public int DownAfterMissedHeartbeats { get; set; } = 2;

    /// <summary>How often each node's <c>/readyz</c> is probed.</summary>
    /// <remarks>Defaults to 1 second.</remarks>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>PEM certificate for <c>https://</c> URLs, reloaded at the next handshake after it changes.</summary>
    /// <remarks>Defaults to none.</remarks>
    public string TlsCertificatePath { get; set; } = "";

    /// <summary>PEM private key for <see cref="TlsCertificatePath"/>.</summary>
    /// <remarks>Defaults to the certificate file, for a combined PEM.</remarks>
    public string TlsKeyPath { get; set; } = "";

    /// <summary>Signing of the edge URLs handed to players (<c>ControlPlane:UrlSigning:*</c>).</summary>
    public UrlSigningOptions UrlSigning { get; } = new();

    /// <summary>
    /// Secrets that give each node its own heartbeat token, <c>hex(HMAC-SHA256(key, nodeId))</c>, set at the node as
    /// <c>Edge:ControlPlaneToken</c>; a token opens only its own node's reports. List two while rotating.
    /// </summary>
    /// <remarks>
    /// Defaults to none: reports are heard unverified, and a node's own <c>/readyz</c> probes overrule them within one
    /// probe interval.
    /// </remarks>
    public IList<string> NodeKeys { get; } = [];

    /// <summary>No longer accepted: one shared token let any node speak for every other. Use <see cref="NodeKeys"/>.</summary>
    public IList<string> NodeTokens { get; } = [];

    /// <summary>Bearer tokens accepted on the operator APIs (nodes, topology, explain); list two while rotating.</summary>
    /// <remarks>Defaults to none: then only loopback clients may use them.</remarks>
    public IList<string> AdminTokens { get; } = [];

    /// <summary>Time allowed for one probe.</summary>
    /// <remarks>Defaults to 800 milliseconds.</remarks>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(800);

    /// <summary>A node is down after this many probes in a row fail to connect or time out.</summary>
    /// <remarks>Defaults to 2.</remarks>
    public int DownAfterFailedProbes { get; set; } = 2;

    /// <summary>
    /// Time for a node that comes back up to reach its full share of titles; until then it gets a growing
    /// fraction of them, so its cold cache is not hit by every player at once.
    /// </summary>
    /// <remarks>Defaults to 60 seconds. Zero turns the ramp off.</remarks>
    public TimeSpan RampUpDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How many nodes of a site hold each title; a title's players are spread over them.</summary>
    /// <remarks>Defaults to 2.</remarks>
    public int TitleReplicas { get; set; } = 2;

    /// <summary>How many leading path segments name a title (<c>/sample/720p/1.m4s</c> is title <c>sample</c> with 1).</summary>
    /// <remarks>Defaults to 1.</remarks>
    public int TitlePathSegments { get; set; } = 1;

    /// <summary>
    /// Bounded-load factor: a node whose utilisation is above this multiple of its site's average overflows
    /// its new players to the next choice.
    /// </summary>
    /// <remarks>Defaults to 1.25.</remarks>
    public double LoadBoundFactor { get; set; } = 1.25;

    /// <summary>Below this utilisation (egress / capacity) a node never overflows, so light load does not scatter titles.</summary>
    /// <remarks>Defaults to 0.2.</remarks>
    public double MinOverflowUtilization { get; set; } = 0.2;

    /// <summary>At or above this utilisation a node always overflows, whatever its site's average.</summary>
    /// <remarks>Defaults to 0.95.</remarks>
    public double MaxUtilization { get; set; } = 0.95;

    /// <summary>
    /// Bits per second assumed for each player steered to a node since its last report, so that a burst of
    /// players between two heartbeats still counts against the node's capacity.
    /// </summary>
    /// <remarks>Defaults to 5,000,000 (a 1080p rendition).</remarks>
    public long ExpectedSessionBitsPerSecond { get; set; } = 5_000_000;

    /// <summary>Most nodes in a ranked answer, and pathways in a content-steered manifest.</summary>
    /// <remarks>Defaults to 4.</remarks>
    public int MaxCandidates { get; set; } = 4;

    /// <summary>How long players keep a content-steering manifest before asking again.</summary>
    /// <remarks>Defaults to 10 seconds.</remarks>
    public TimeSpan SteeringTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>TTL</c> of steering manifests for live titles (an HLS media playlist without <c>EXT-X-ENDLIST</c>, a
    /// dynamic MPD). A low-latency player holds about a second and a half of media, so when its node dies it must
    /// learn the new order within that, not ten seconds later.
    /// </summary>
    /// <remarks>Defaults to 2 seconds.</remarks>
    public TimeSpan LiveSteeringTtl { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Proxies (addresses or CIDR networks) whose <c>X-Forwarded-For</c> is believed; from anyone else it is ignored.</summary>
    /// <remarks>Defaults to none: the connection's address is the client's.</remarks>
    public IList<string> TrustedProxies { get; } = [];

    /// <summary>Value of <c>Access-Control-Allow-Origin</c> on player-facing answers; empty turns CORS off.</summary>
    /// <remarks>Defaults to <c>*</c>: web players run on other origins.</remarks>
    public string CorsAllowOrigin { get; set; } = "*";
}

/// <summary>
/// Signing of the edge URLs the control plane hands out (<c>ControlPlane:UrlSigning:*</c>), with the keys the edges verify with.
/// </summary>
public sealed class UrlSigningOptions
{
    /// <summary>Signing keys by id, each base64 of at least 32 bytes; the edges need the same ones.</summary>
    /// <remarks>Defaults to none: URLs are not signed.</remarks>
    public IDictionary<string, string> Keys { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The key new tokens are signed with; the others stay valid at the edges until removed there.</summary>
    /// <remarks>Required when keys are set.</remarks>
    public string KeyId { get; set; } = "";

    /// <summary>How long a token stays valid: longer than a viewing session.</summary>
    /// <remarks>Defaults to 6 hours.</remarks>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Whether a token is bound to the address of the player it was given to.</summary>
    /// <remarks>Defaults to false: players behind changing NATs or on mobile networks would lose their streams.</remarks>
    public bool BindClientAddress { get; set; }

    internal Dictionary<string, byte[]> ParsedKeys() => Edge.Contracts.UrlSignature.ParseKeys(Keys);
}
