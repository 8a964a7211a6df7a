using Edge.EdgeServer.Caching;
using Edge.EdgeServer.Filling;
using Microsoft.Extensions.Options;

namespace Edge.EdgeServer.Configuration;

/// <summary>Checks <see cref="EdgeOptions"/> at start-up so a bad value fails fast with the key's name.</summary>
internal sealed class EdgeOptionsValidator : IValidateOptions<EdgeOptions>
{
    private const string Prefix = EdgeOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, EdgeOptions options)
    {
        var failures = new List<string>();

        if (options.CacheDirectories.Count == 0 && string.IsNullOrWhiteSpace(options.CacheDirectory))
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.CacheDirectory)} is required: the directory that holds cached objects, e.g. --{Prefix}{nameof(EdgeOptions.CacheDirectory)}=/var/cache/edge (or list disks in {Prefix}{nameof(EdgeOptions.CacheDirectories)})");
        }
        else if (!string.IsNullOrWhiteSpace(options.CacheDirectory) && CheckDirectory(options.CacheDirectory) is { } problem)
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.CacheDirectory)} '{options.CacheDirectory}' is not usable: {problem}");
        }

        var disks = new List<string>();
        for (var i = 0; i < options.CacheDirectories.Count; i++)
        {
            var disk = options.CacheDirectories[i];
            var key = $"{Prefix}{nameof(EdgeOptions.CacheDirectories)}:{i}";
            if (string.IsNullOrWhiteSpace(disk.Path))
            {
                failures.Add($"{key}:{nameof(CacheDirectoryOptions.Path)} is required: the disk's directory, e.g. /srv/cache/disk{i + 1}");
                continue;
            }

            if (CheckDirectory(disk.Path) is { } diskProblem)
            {
                failures.Add($"{key}:{nameof(CacheDirectoryOptions.Path)} '{disk.Path}' is not usable: {diskProblem}");
            }

            if (disk.MaxBytes < ObjectFile.HeaderSize * 16L)
            {
                failures.Add($"{key}:{nameof(CacheDirectoryOptions.MaxBytes)} must be at least {ObjectFile.HeaderSize * 16} bytes (got {disk.MaxBytes})");
            }

            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(disk.Path)) + Path.DirectorySeparatorChar;
            if (disks.FirstOrDefault(d => full.StartsWith(d, StringComparison.Ordinal) || d.StartsWith(full, StringComparison.Ordinal)) is { } other)
            {
                failures.Add($"{key}:{nameof(CacheDirectoryOptions.Path)} '{disk.Path}' overlaps another cache disk ('{other.TrimEnd(Path.DirectorySeparatorChar)}'): each disk needs its own directory");
            }

            disks.Add(full);
        }

        if (!QueryModes.IsKnown(options.CacheKey.Query))
        {
            failures.Add($"{Prefix}CacheKey:Query '{options.CacheKey.Query}' is not one of: {string.Join(", ", QueryModes.All)}");
        }

        for (var i = 0; i < options.CacheKey.Rules.Count; i++)
        {
            var rule = options.CacheKey.Rules[i];
            if (string.IsNullOrEmpty(rule.Prefix) || rule.Prefix[0] != '/')
            {
                failures.Add($"{Prefix}CacheKey:Rules:{i}:Prefix '{rule.Prefix}' must be a path prefix starting with '/', e.g. /live/");
            }

            if (!QueryModes.IsKnown(rule.Query))
            {
                failures.Add($"{Prefix}CacheKey:Rules:{i}:Query '{rule.Query}' is not one of: {string.Join(", ", QueryModes.All)}");
            }

            if (rule.Rules.Count > 0)
            {
                failures.Add($"{Prefix}CacheKey:Rules:{i}:Rules: rules do not nest");
            }
        }

        if (options.CacheDiskCheckInterval < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.CacheDiskCheckInterval)} must be zero (off) or positive (got {options.CacheDiskCheckInterval})");
        }

        if (string.IsNullOrWhiteSpace(options.OriginUrl))
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.OriginUrl)} is required: the origin or parent node that misses are filled from, e.g. --{Prefix}{nameof(EdgeOptions.OriginUrl)}=http://origin.example:8000");
        }
        else if (!Uri.TryCreate(options.OriginUrl, UriKind.Absolute, out var origin)
            || (origin.Scheme != Uri.UriSchemeHttp && origin.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(origin.Query) || !string.IsNullOrEmpty(origin.Fragment))
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.OriginUrl)} '{options.OriginUrl}' must be an absolute http:// or https:// URL without query or fragment");
        }

        if (options.CacheDirectories.Count == 0 && options.CacheMaxBytes < ObjectFile.HeaderSize * 16L)
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.CacheMaxBytes)} must be at least {ObjectFile.HeaderSize * 16} bytes (got {options.CacheMaxBytes})");
        }

        if (string.IsNullOrEmpty(options.NodeId) || options.NodeId.Length > 64 || !options.NodeId.All(IsNodeIdChar))
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.NodeId)} '{options.NodeId}' must be 1-64 characters of letters, digits, '.', '-', '_' or ':'");
        }

        if (!EvictionPolicies.IsKnown(options.EvictionPolicy))
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.EvictionPolicy)} '{options.EvictionPolicy}' is not one of: {string.Join(", ", EvictionPolicies.All)}");
        }

        CheckPositive(failures, nameof(EdgeOptions.OriginConnectTimeout), options.OriginConnectTimeout);
        CheckPositive(failures, nameof(EdgeOptions.OriginResponseTimeout), options.OriginResponseTimeout);
        CheckPositive(failures, nameof(EdgeOptions.OriginIdleTimeout), options.OriginIdleTimeout);

        CheckPositive(failures, nameof(EdgeOptions.HeartbeatInterval), options.HeartbeatInterval);
        for (var i = 0; i < options.ControlPlaneUrls.Count; i++)
        {
            var url = options.ControlPlaneUrls[i];
            if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add($"{Prefix}{nameof(EdgeOptions.ControlPlaneUrls)}:{i} '{url}' must be an absolute http:// or https:// URL");
            }
        }

        if (options.MaxPathLength is < 16 or > 8192)
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.MaxPathLength)} must be between 16 and 8192 (got {options.MaxPathLength})");
        }

        if (options.CorsAllowOrigin.Any(char.IsControl))
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.CorsAllowOrigin)} must not contain control characters");
        }

        if (options.NegativeTtl < TimeSpan.Zero || options.NegativeTtl > TimeSpan.FromDays(1))
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.NegativeTtl)} must be between 0 and 1 day (got {options.NegativeTtl})");
        }

        if (options.ManifestTtl < TimeSpan.Zero || options.ManifestTtl > TimeSpan.FromHours(1))
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.ManifestTtl)} must be between 0 and 1 hour (got {options.ManifestTtl})");
        }

        if (options.MaxVariants is < 1 or > 1024)
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.MaxVariants)} must be between 1 and 1024 (got {options.MaxVariants})");
        }

        foreach (var stripped in options.StrippedRequestHeaders())
        {
            if (!stripped.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
            {
                failures.Add($"{Prefix}{nameof(EdgeOptions.StripRequestHeaders)} '{stripped}' is not a header field name");
            }
        }

        if (options.OriginMaxConcurrentFills is < 1 or > 10_000)
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.OriginMaxConcurrentFills)} must be between 1 and 10000 (got {options.OriginMaxConcurrentFills})");
        }

        ValidateLimits(options, failures);
        ValidateTransport(options.Transport, failures);
        if (!(options.Prefetch.MaxOriginShare is > 0 and <= 1))
        {
            failures.Add($"Edge:Prefetch:{nameof(PrefetchOptions.MaxOriginShare)} must be more than 0 and at most 1 (got {options.Prefetch.MaxOriginShare})");
        }


        if (options.MaxOpenFiles < 0)
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.MaxOpenFiles)} must be 0 (from the open-file limit) or more (got {options.MaxOpenFiles})");
        }

        if (options.ControlPlaneToken.Length > 0 && !Edge.Contracts.OperatorTokens.IsAcceptable(options.ControlPlaneToken))
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.ControlPlaneToken)} must be at least 16 characters without spaces");
        }

        if (options.ControlPlaneTokenFile.Length > 0)
        {
            if (options.ControlPlaneToken.Length > 0)
            {
                failures.Add($"{Prefix}{nameof(EdgeOptions.ControlPlaneTokenFile)} and {Prefix}{nameof(EdgeOptions.ControlPlaneToken)} are both set; set one");
            }
            else if (!Health.ControlPlaneTokenSource.TryRead(options.ControlPlaneTokenFile, out var token, out var problem))
            {
                failures.Add($"{Prefix}{nameof(EdgeOptions.ControlPlaneTokenFile)} ({options.ControlPlaneTokenFile}): {problem}");
            }
            else if (!Edge.Contracts.OperatorTokens.IsAcceptable(token))
            {
                failures.Add($"{Prefix}{nameof(EdgeOptions.ControlPlaneTokenFile)} ({options.ControlPlaneTokenFile}) must hold a token of at least 16 characters without spaces");
            }
        }
        ValidateTls(options.Tls, failures);
        for (var i = 0; i < options.AllowedExtensions.Count; i++)
        {
            var extension = options.AllowedExtensions[i];
            if (extension.Length < 2 || extension[0] != '.' || !extension[1..].All(char.IsAsciiLetterOrDigit))
            {
                failures.Add($"{Prefix}{nameof(EdgeOptions.AllowedExtensions)}:{i} '{extension}' must be an extension like .m4s");
            }
        }
        failures.AddRange(Edge.Contracts.UrlSignature.KeyProblems(options.UrlSigning.Keys, Prefix + "UrlSigning"));

        if (options.UrlSigning.Required && options.UrlSigning.Keys.Count == 0)
        {
            failures.Add($"{Prefix}UrlSigning:Required needs at least one key in {Prefix}UrlSigning:Keys");
        }

        for (var i = 0; i < options.AdminCorsOrigins.Count; i++)
        {
            if (!Security.AdminCors.IsOrigin(options.AdminCorsOrigins[i]))
            {
                failures.Add($"{Prefix}{nameof(EdgeOptions.AdminCorsOrigins)}:{i} must be a web origin such as https://ops.example.net (scheme, host and optional port; no path)");
            }
        }

        for (var i = 0; i < options.AdminTokens.Count; i++)
        {
            if (!Edge.Contracts.OperatorTokens.IsAcceptable(options.AdminTokens[i]))
            {
                failures.Add($"{Prefix}{nameof(EdgeOptions.AdminTokens)}:{i} must be at least 16 characters without spaces (e.g. openssl rand -hex 32)");
            }
        }

        if (options.MemoryCacheMaxBytes < 0)
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.MemoryCacheMaxBytes)} must be 0 (off) or more (got {options.MemoryCacheMaxBytes})");
        }

        if (options.MemoryCacheMaxObjectBytes <= 0)
        {
            failures.Add($"{Prefix}{nameof(EdgeOptions.MemoryCacheMaxObjectBytes)} must be positive (got {options.MemoryCacheMaxObjectBytes})");
        }

        if (options.Fill.MaxBytesPerSecond < 0)
        {
            failures.Add($"{Prefix}Fill:{nameof(FillOptions.MaxBytesPerSecond)} must be 0 (no limit) or more (got {options.Fill.MaxBytesPerSecond})");
        }

        if (options.Fill.Concurrency is < 1 or > 64)
        {
            failures.Add($"{Prefix}Fill:{nameof(FillOptions.Concurrency)} must be between 1 and 64 (got {options.Fill.Concurrency})");
        }

        if (options.Fill.LiveFollowLimit <= TimeSpan.Zero || options.Fill.LiveFollowLimit > TimeSpan.FromDays(30))
        {
            failures.Add($"{Prefix}Fill:{nameof(FillOptions.LiveFollowLimit)} must be more than 0 and at most 30 days (got {options.Fill.LiveFollowLimit})");
        }

        if (!FillWindow.TryParse(options.Fill.Window, out _))
        {
            failures.Add($"{Prefix}Fill:{nameof(FillOptions.Window)} '{options.Fill.Window}' must be empty or a daily window like 02:00-14:00");
        }

        if (options.Admission.DoorkeeperWindow < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}Admission:{nameof(AdmissionOptions.DoorkeeperWindow)} must be zero (admit all) or a positive duration (got {options.Admission.DoorkeeperWindow})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckPositive(List<string> failures, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}{key} must be a positive duration such as 00:00:10 (got {value})");
        }
    }

    private static bool IsNodeIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':';

    private static string? CheckDirectory(string path)
    {
        try
        {
            Directory.CreateDirectory(path);
            var probe = Path.Combine(path, $".probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return ex.Message;
        }
    }

    private static void ValidateLimits(EdgeOptions options, List<string> failures)
    {
        const string limits = Prefix + "Limits:";
        var value = options.Limits;
        if (value.MaxConnections < 1)
        {
            failures.Add($"{limits}{nameof(LimitsOptions.MaxConnections)} must be positive (got {value.MaxConnections})");
        }

        if (value.MaxConnectionsPerClient < 0)
        {
            failures.Add($"{limits}{nameof(LimitsOptions.MaxConnectionsPerClient)} must be 0 (no limit) or more (got {value.MaxConnectionsPerClient})");
        }

        if (value.MaxHalfOpenConnections < 0)
        {
            failures.Add($"{limits}{nameof(LimitsOptions.MaxHalfOpenConnections)} must be 0 (no limit) or more (got {value.MaxHalfOpenConnections})");
        }

        if (value.MaxHalfOpenConnectionsPerClient < 0)
        {
            failures.Add($"{limits}{nameof(LimitsOptions.MaxHalfOpenConnectionsPerClient)} must be 0 (no limit) or more (got {value.MaxHalfOpenConnectionsPerClient})");
        }

        if (value.MaxRequestLineBytes <= options.MaxPathLength + 32)
        {
            failures.Add($"{limits}{nameof(LimitsOptions.MaxRequestLineBytes)} ({value.MaxRequestLineBytes}) must exceed {Prefix}{nameof(EdgeOptions.MaxPathLength)} ({options.MaxPathLength}) by more than 32 bytes, room for the method and version");
        }

        if (value.MaxRequestHeadersBytes < 1024)
        {
            failures.Add($"{limits}{nameof(LimitsOptions.MaxRequestHeadersBytes)} must be at least 1024 (got {value.MaxRequestHeadersBytes})");
        }

        if (value.MaxRequestHeaderCount < 8)
        {
            failures.Add($"{limits}{nameof(LimitsOptions.MaxRequestHeaderCount)} must be at least 8 (got {value.MaxRequestHeaderCount})");
        }

        if (value.RequestHeadersTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{limits}{nameof(LimitsOptions.RequestHeadersTimeout)} must be positive (got {value.RequestHeadersTimeout})");
        }

        if (value.KeepAliveTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{limits}{nameof(LimitsOptions.KeepAliveTimeout)} must be positive (got {value.KeepAliveTimeout})");
        }

        if (value.MinResponseBytesPerSecond < 0)
        {
            failures.Add($"{limits}{nameof(LimitsOptions.MinResponseBytesPerSecond)} must be 0 (off) or more (got {value.MinResponseBytesPerSecond})");
        }

        if (value.ResponseStallTimeout < TimeSpan.Zero)
        {
            failures.Add($"{limits}{nameof(LimitsOptions.ResponseStallTimeout)} must be zero (off) or positive (got {value.ResponseStallTimeout})");
        }

        if (value.Http2MaxStreamsPerConnection < 1)
        {
            failures.Add($"{limits}{nameof(LimitsOptions.Http2MaxStreamsPerConnection)} must be positive (got {value.Http2MaxStreamsPerConnection})");
        }
    }

    private static void ValidateTransport(TransportOptions transport, List<string> failures)
    {
        const string key = Prefix + "Transport:";
        if (transport.IOQueueCount is < 0 or > 64)
        {
            failures.Add($"{key}{nameof(TransportOptions.IOQueueCount)} must be 0 (Kestrel's own) to 64 (got {transport.IOQueueCount})");
        }

        if (transport.MaxResponseBufferBytes is < 4096 or > 64L * 1024 * 1024)
        {
            failures.Add($"{key}{nameof(TransportOptions.MaxResponseBufferBytes)} must be 4 KiB to 64 MiB (got {transport.MaxResponseBufferBytes})");
        }

        if (transport.MemoryBlockBytes != 0 && (transport.MemoryBlockBytes is < 4096 or > 1024 * 1024 || transport.MemoryBlockBytes % 4096 != 0))
        {
            failures.Add($"{key}{nameof(TransportOptions.MemoryBlockBytes)} must be 0 (Kestrel's own pool) or a multiple of 4 KiB up to 1 MiB (got {transport.MemoryBlockBytes})");
        }

        if (transport.DirectSendMinBytes < 0)
        {
            failures.Add($"{key}{nameof(TransportOptions.DirectSendMinBytes)} must be 0 or more (got {transport.DirectSendMinBytes})");
        }

        if (transport.MemoryPoolMaxIdleBytes < 0)
        {
            failures.Add($"{key}{nameof(TransportOptions.MemoryPoolMaxIdleBytes)} must be 0 or more (got {transport.MemoryPoolMaxIdleBytes})");
        }
    }

    private static void ValidateTls(TlsOptions tls, List<string> failures)
    {
        const string key = Prefix + "Tls:";
        if (tls.CertificatePath.Length == 0)
        {
            if (tls.KeyPath.Length > 0)
            {
                failures.Add($"{key}{nameof(TlsOptions.KeyPath)} is set without {key}{nameof(TlsOptions.CertificatePath)}");
            }

            return;
        }

        if (Edge.Contracts.CertificateFiles.Problem(tls.CertificatePath, tls.KeyPath) is { } problem)
        {
            failures.Add($"{key}{nameof(TlsOptions.CertificatePath)} '{tls.CertificatePath}' (key '{(tls.KeyPath.Length > 0 ? tls.KeyPath : tls.CertificatePath)}') does not load as a PEM certificate with its private key: {problem}");
        }
    }
}
