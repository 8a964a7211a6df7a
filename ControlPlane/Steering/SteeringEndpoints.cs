using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Xml;
using Edge.Contracts;
using Edge.ControlPlane.Configuration;
using Edge.ControlPlane.Health;
using Edge.ControlPlane.Metrics;
using Edge.ControlPlane.Topology;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.ControlPlane.Steering;

/// <summary>
/// The player-facing API: <c>/v1/steer/{path}</c> (302 or a ranked JSON list), <c>/v1/play/{path}</c>
/// (a content-steered HLS or DASH manifest), the steering manifests players poll while they play, and the
/// operator's <c>/v1/explain</c>.
/// </summary>
internal sealed partial class SteeringEndpoints
{
    public const string SteerPrefix = "/v1/steer";
    public const string PlayPrefix = "/v1/play";
    public const string HlsSteeringPath = "/v1/steering/hls";
    public const string DashSteeringPath = "/v1/steering/dash";

    private static readonly string[] OwnQueryKeys = ["format", "lat", "lon"];

    private readonly Steerer _steerer;
    private readonly ControlPlaneMetrics _metrics;
    private readonly NodeHttpClient _http;
    private readonly ControlPlaneOptions _options;
    private readonly ILogger<SteeringEndpoints> _logger;

    private readonly UrlSignature _signer;
    private readonly TimeProvider _time;

    public SteeringEndpoints(Steerer steerer, ControlPlaneMetrics metrics, NodeHttpClient http, IOptions<ControlPlaneOptions> options, TimeProvider time, ILogger<SteeringEndpoints> logger)
    {
        _steerer = steerer;
        _metrics = metrics;
        _http = http;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _signer = new UrlSignature(_options.UrlSigning.ParsedKeys());
    }

    public static void Map(WebApplication app)
    {
        var endpoints = app.Services.GetRequiredService<SteeringEndpoints>();
        string[] methods = ["GET", "HEAD", "OPTIONS"];
        // Players' endpoints are anonymous; explain shows the operator's view and falls to the operator policy.
        app.MapMethods(SteerPrefix + "/{**path}", methods, endpoints.SteerAsync).AllowAnonymous();
        app.MapMethods(PlayPrefix + "/{**path}", methods, endpoints.PlayAsync).AllowAnonymous();
        app.MapMethods(HlsSteeringPath, methods, (HttpContext c) => endpoints.SteeringManifestAsync(c, "PATHWAY-PRIORITY")).AllowAnonymous();
        app.MapMethods(DashSteeringPath, methods, (HttpContext c) => endpoints.SteeringManifestAsync(c, "SERVICE-LOCATION-PRIORITY")).AllowAnonymous();
        app.MapGet("/v1/explain", endpoints.ExplainAsync).RequireAuthorization(OperatorAuthenticationHandler.PolicyName);
    }

    private async Task SteerAsync(HttpContext context)
    {
        if (PlayerHttp.Cors(context, _options.CorsAllowOrigin))
        {
            return;
        }

        var path = context.Request.Path.Value![SteerPrefix.Length..];
        if (!TryReadRequest(context, path, out var location, out var problem))
        {
            await problem!;
            return;
        }

        var decision = Decide(context, path, location);
        if (decision.Best is null)
        {
            await UnavailableAsync(context, decision);
            return;
        }

        context.Response.Headers.CacheControl = "no-store";
        var query = PassThroughQuery(context.Request.Query);
        if (PlayerHttp.WantsJson(context.Request))
        {
            var answer = new SteeringAnswer
            {
                Path = path,
                Title = decision.Title,
                Site = decision.Match.Site.Id,
                Match = MatchName(decision.Match.Kind),
                Candidates = [.. decision.Candidates.Select(n => new SteeringCandidate(n.Id, n.Site.Id, NodeUrl(n, path, query, context)))],
            };
            await context.Response.WriteAsJsonAsync(answer, ContractsJsonContext.Default.SteeringAnswer, "application/json", context.RequestAborted);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = NodeUrl(decision.Best, path, query, context);
    }

    private async Task PlayAsync(HttpContext context)
    {
        if (PlayerHttp.Cors(context, _options.CorsAllowOrigin))
        {
            return;
        }

        var path = context.Request.Path.Value![PlayPrefix.Length..];
        if (!TryReadRequest(context, path, out var location, out var problem))
        {
            await problem!;
            return;
        }

        var isHls = path.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase);
        if (!isHls && !path.EndsWith(".mpd", StringComparison.OrdinalIgnoreCase))
        {
            await PlayerHttp.TextAsync(context, StatusCodes.Status400BadRequest, "play takes an HLS multivariant playlist (.m3u8) or a DASH manifest (.mpd)\n");
            return;
        }

        var decision = Decide(context, path, location);
        if (decision.Best is null)
        {
            await UnavailableAsync(context, decision);
            return;
        }

        var (status, manifest) = await FetchManifestAsync(decision, path, context.RequestAborted);
        if (manifest is null)
        {
            await PlayerHttp.TextAsync(context, status, status == StatusCodes.Status404NotFound
                ? "not found\n"
                : "no edge node could supply the manifest\n");
            return;
        }

        context.Response.Headers.CacheControl = "no-store";
        var pathways = decision.Candidates.Select(n => new Pathway(n.Id, NodeBase(n, path, context))).ToList();
        var steeringQuery = "?path=" + Uri.EscapeDataString(path) + "&pathways=" + Uri.EscapeDataString(string.Join(',', pathways.Select(p => p.Id)));
        if (await IsLiveAsync(decision, path, manifest, isHls, context.RequestAborted))
        {
            // Live players reload the steering manifest often: their buffer is too short to wait for a slow one.
            steeringQuery += "&live=1";
        }

        string body;
        if (isHls)
        {
            if (!HlsSteering.IsMultivariant(manifest))
            {
                // A media playlist has nothing to steer between; send the player to the best node.
                context.Response.StatusCode = StatusCodes.Status302Found;
                context.Response.Headers.Location = NodeUrl(decision.Best, path, "", context);
                return;
            }

            body = HlsSteering.Rewrite(manifest, path, pathways, HlsSteeringPath + steeringQuery);
            context.Response.ContentType = "application/vnd.apple.mpegurl";
        }
        else
        {
            try
            {
                body = DashSteering.Rewrite(manifest, path, pathways, PublicBase(context.Request) + DashSteeringPath + steeringQuery);
            }
            catch (XmlException ex)
            {
                await PlayerHttp.TextAsync(context, StatusCodes.Status502BadGateway, "the edge returned an MPD that is not valid XML: " + ex.Message + "\n");
                return;
            }

            context.Response.ContentType = "application/dash+xml";
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
    }

    private async Task SteeringManifestAsync(HttpContext context, string priorityKey)
    {
        if (PlayerHttp.Cors(context, _options.CorsAllowOrigin))
        {
            return;
        }

        var path = context.Request.Query["path"].ToString();
        if (!TryReadRequest(context, path, out var location, out var problem))
        {
            await problem!;
            return;
        }

        var offered = context.Request.Query["pathways"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var decision = _steerer.Decide(path, context.Connection.RemoteIpAddress, location, countDecision: false);

        // Only pathways the player's manifest lists mean anything to it: live ones in ranked order, then the rest.
        var priority = new List<string>();
        foreach (var node in decision.Candidates)
        {
            if (offered.Length == 0 || offered.Contains(node.Id))
            {
                priority.Add(node.Id);
            }
        }

        priority.AddRange(offered.Where(id => !priority.Contains(id)));
        if (priority.Count == 0)
        {
            await UnavailableAsync(context, decision);
            return;
        }

        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("VERSION", 1);
            var ttl = context.Request.Query["live"] == "1" && _options.LiveSteeringTtl < _options.SteeringTtl ? _options.LiveSteeringTtl : _options.SteeringTtl;
            json.WriteNumber("TTL", (long)Math.Ceiling(ttl.TotalSeconds));
            // Absolute: Shaka adds its own parameters to a relative RELOAD-URI before resolving it, and fails.
            json.WriteString("RELOAD-URI", PublicBase(context.Request) + context.Request.Path + QueryString.Create(
                context.Request.Query.Where(q => !q.Key.StartsWith('_')).SelectMany(q => q.Value.Select(v => KeyValuePair.Create(q.Key, v)))).ToUriComponent());
            json.WriteStartArray(priorityKey);
            foreach (var id in priority)
            {
                json.WriteStringValue(id);
            }

            json.WriteEndArray();
            if (priorityKey != "PATHWAY-PRIORITY")
            {
                // Shaka Player reads a DASH steering manifest's order from the HLS key, not the DASH-IF one:
                // without it, Shaka keeps the MPD's first location, dead or not.
                json.WriteStartArray("PATHWAY-PRIORITY");
                foreach (var id in priority)
                {
                    json.WriteStringValue(id);
                }

                json.WriteEndArray();
            }
            json.WriteEndObject();
        }

        context.Response.ContentLength = buffer.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
        }
    }

    private async Task ExplainAsync(HttpContext context)
    {
        var query = context.Request.Query;
        IPAddress? client = context.Connection.RemoteIpAddress;
        if (query.TryGetValue("client", out var text) && !IPAddress.TryParse(text.ToString(), out client))
        {
            await PlayerHttp.TextAsync(context, StatusCodes.Status400BadRequest, $"client '{text}' is not an IP address\n");
            return;
        }

        var path = query["path"].ToString();
        if (!TryReadRequest(context, path, out var location, out var problem))
        {
            await problem!;
            return;
        }

        var explanation = new SteeringExplanation();
        var decision = _steerer.Decide(path, client, location, countDecision: false, explanation);
        var report = new ExplainReport
        {
            Client = client?.ToString(),
            Path = path,
            Title = decision.Title,
            Site = decision.Match.Site.Id,
            Match = MatchName(decision.Match.Kind),
            Prefix = decision.Match.Prefix,
            Candidates = [.. decision.Candidates.Select(n => new SteeringCandidate(n.Id, n.Site.Id, NodeUrl(n, path, "", context)))],
            Sites = explanation.Sites,
        };
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(report, ControlPlaneJsonContext.Default.ExplainReport, "application/json", context.RequestAborted);
    }

    private SteeringDecision Decide(HttpContext context, string path, GeoPoint? location)
    {
        var started = Stopwatch.GetTimestamp();
        var decision = _steerer.Decide(path, context.Connection.RemoteIpAddress, location, countDecision: true);
        var result = decision.Best is null ? DecisionResult.Unavailable
            : decision.Best.Site == decision.Match.Site ? DecisionResult.Local
            : DecisionResult.Remote;
        _metrics.RecordDecision(decision.Match.Site.Id, result, started);
        return decision;
    }

    /// <summary>
    /// Whether the title is live: a dynamic MPD, or an HLS title whose first media playlist has no
    /// <c>EXT-X-ENDLIST</c> (one more small fetch per playback start, from the node that gave the master).
    /// </summary>
    private async Task<bool> IsLiveAsync(SteeringDecision decision, string path, string manifest, bool isHls, CancellationToken cancellationToken)
    {
        if (!isHls)
        {
            return manifest.Contains("type=\"dynamic\"", StringComparison.Ordinal);
        }

        var lines = manifest.Split('\n', StringSplitOptions.TrimEntries);
        var stream = Array.FindIndex(lines, l => l.StartsWith("#EXT-X-STREAM-INF:", StringComparison.Ordinal));
        var uri = stream < 0 ? null : lines.Skip(stream + 1).FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#'));
        if (uri is null || !Uri.TryCreate(new Uri("http://title" + path), uri, out var media) || media.Host != "title" || !media.AbsolutePath.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var (status, playlist) = await FetchManifestAsync(decision, media.AbsolutePath, cancellationToken);
        if (status != StatusCodes.Status200OK || playlist is null)
        {
            return false;
        }

        return !playlist.Contains("#EXT-X-ENDLIST", StringComparison.Ordinal)
            && (playlist.Contains("#EXTINF", StringComparison.Ordinal) || playlist.Contains("#EXT-X-PART:", StringComparison.Ordinal));
    }

    private async Task<(int Status, string? Manifest)> FetchManifestAsync(SteeringDecision decision, string path, CancellationToken cancellationToken)
    {
        foreach (var node in decision.Candidates)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ProbeTimeout * 4);
            try
            {
                using var response = await _http.Client.GetAsync(NodeUrl(node, path, "", null), timeout.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    _metrics.ManifestFetches.WithLabels("ok").Inc();
                    return (StatusCodes.Status200OK, await response.Content.ReadAsStringAsync(timeout.Token));
                }

                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    _metrics.ManifestFetches.WithLabels("not_found").Inc();
                    return (StatusCodes.Status404NotFound, null);
                }

                LogManifestFailed(_logger, path, node.Id, $"status {(int)response.StatusCode}");
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                LogManifestFailed(_logger, path, node.Id, ex.Message);
            }

            _metrics.ManifestFetches.WithLabels("error").Inc();
        }

        return (StatusCodes.Status502BadGateway, null);
    }

    private bool TryReadRequest(HttpContext context, string path, out GeoPoint? location, out Task? problem)
    {
        location = null;
        problem = null;
        var status = PlayerHttp.CheckPath(path);
        if (status != 0)
        {
            problem = PlayerHttp.TextAsync(context, status, status == StatusCodes.Status414UriTooLong
                ? "the path is too long\n"
                : "bad request: give the object's path, e.g. /v1/steer/title/master.m3u8\n");
            return false;
        }

        // Only an object inside a title is steered: its token then covers that title's folder, never the catalogue.
        if (!IsInsideTitle(path))
        {
            problem = PlayerHttp.TextAsync(context, StatusCodes.Status404NotFound,
                $"not a title's object: a path names a title in its first {_options.TitlePathSegments} segment(s), then an object in it, e.g. /v1/steer/title/master.m3u8\n");
            return false;
        }

        var query = context.Request.Query;
        var hasLat = query.TryGetValue("lat", out var latText);
        var hasLon = query.TryGetValue("lon", out var lonText);
        if (hasLat || hasLon)
        {
            if (!double.TryParse(latText, NumberStyles.Float, CultureInfo.InvariantCulture, out var lat)
                || !double.TryParse(lonText, NumberStyles.Float, CultureInfo.InvariantCulture, out var lon)
                || !GeoPoint.IsValid(lat, lon))
            {
                problem = PlayerHttp.TextAsync(context, StatusCodes.Status400BadRequest, "lat and lon must both be given, in degrees (-90..90, -180..180)\n");
                return false;
            }

            location = new GeoPoint(lat, lon);
        }

        return true;
    }

    private static Task UnavailableAsync(HttpContext context, SteeringDecision decision)
    {
        context.Response.Headers.RetryAfter = "5";
        var message = $"no healthy edge node can serve this request: none of the {decision.View.Topology.Nodes.Count} nodes in {decision.View.Topology.Sites.Count} sites is up, ready and not draining";
        if (PlayerHttp.WantsJson(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.CacheControl = "no-store";
            return context.Response.WriteAsJsonAsync(new ErrorReport(message), ControlPlaneJsonContext.Default.ErrorReport, "application/json", context.RequestAborted);
        }

        return PlayerHttp.TextAsync(context, StatusCodes.Status503ServiceUnavailable, message + "\n");
    }

    private static string PassThroughQuery(IQueryCollection query)
    {
        if (query.Count == 0 || query.Keys.All(OwnQueryKeys.Contains))
        {
            return "";
        }

        var builder = new QueryBuilder();
        foreach (var (key, values) in query)
        {
            if (!OwnQueryKeys.Contains(key))
            {
                foreach (var value in values)
                {
                    builder.Add(key, value ?? "");
                }
            }
        }

        return builder.ToString();
    }

    private string NodeUrl(EdgeNode node, string path, string query, HttpContext? context) => NodeBase(node, path, context) + new PathString(path).ToUriComponent() + query;

    /// <summary>
    /// The node's base URL for a title, carrying a signed token for the title's folder when URL signing is on, so every
    /// relative URI below it is covered. Bound to the player's address when configured; the control plane's own
    /// fetches (<paramref name="context"/> null) are not bound.
    /// </summary>
    private string NodeBase(EdgeNode node, string path, HttpContext? context)
    {
        if (!_signer.Enabled)
        {
            return node.BaseUrl;
        }

        var signing = _options.UrlSigning;
        var prefix = string.Concat("/", TitleFolder(path), "/");
        var client = signing.BindClientAddress ? context?.Connection.RemoteIpAddress : null;
        return node.BaseUrl + _signer.SignPath(signing.KeyId, prefix, "", _time.GetUtcNow() + signing.Lifetime, client);
    }

    private ReadOnlySpan<char> TitleFolder(string path) => Steerer.TitleOf(path, _options.TitlePathSegments);

    /// <summary>Whether the path names an object below a whole title folder (<c>/title/master.m3u8</c>), not a title or the root.</summary>
    private bool IsInsideTitle(string path)
    {
        var title = TitleFolder(path);
        var rest = path.AsSpan().TrimStart('/');
        return title.Length > 0 && rest.Length > title.Length + 1 && rest[title.Length] == '/';
    }

    private static string PublicBase(HttpRequest request) => request.Scheme + "://" + request.Host.ToUriComponent();

    private static string MatchName(SiteMatchKind kind) => kind switch
    {
        SiteMatchKind.Prefix => "prefix",
        SiteMatchKind.Location => "location",
        _ => "default",
    };

    [LoggerMessage(1, LogLevel.Warning, "Could not fetch manifest {Path} from node {Node}: {Error}")]
    private static partial void LogManifestFailed(ILogger logger, string path, string node, string error);
}
