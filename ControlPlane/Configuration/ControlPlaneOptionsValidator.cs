using System.Net;
using Microsoft.Extensions.Options;

namespace Edge.ControlPlane.Configuration;

/// <summary>Checks <see cref="ControlPlaneOptions"/> at start-up so a bad value fails fast with the key's name.</summary>
internal sealed class ControlPlaneOptionsValidator : IValidateOptions<ControlPlaneOptions>
{
    private const string Prefix = ControlPlaneOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, ControlPlaneOptions options)
    {
        var failures = new List<string>();
        if (options.NodeTokens.Count > 0)
        {
            failures.Add($"{Prefix}{nameof(ControlPlaneOptions.NodeTokens)} is no longer accepted (one token spoke for every node): set {Prefix}{nameof(ControlPlaneOptions.NodeKeys)}:0 and give each edge its own token, HMAC-SHA256 of its node id under that key");
        }

        for (var i = 0; i < options.NodeKeys.Count; i++)
        {
            if (!Edge.Contracts.OperatorTokens.IsAcceptable(options.NodeKeys[i]))
            {
                failures.Add($"{Prefix}{nameof(ControlPlaneOptions.NodeKeys)}:{i} must be at least {Edge.Contracts.OperatorTokens.MinimumLength} characters without spaces (e.g. openssl rand -hex 32)");
            }
        }

        for (var i = 0; i < options.AdminTokens.Count; i++)
        {
            if (!Edge.Contracts.OperatorTokens.IsAcceptable(options.AdminTokens[i]))
            {
                failures.Add($"{Prefix}{nameof(ControlPlaneOptions.AdminTokens)}:{i} must be at least {Edge.Contracts.OperatorTokens.MinimumLength} characters without spaces (e.g. openssl rand -hex 32)");
            }
        }

        failures.AddRange(Edge.Contracts.UrlSignature.KeyProblems(options.UrlSigning.Keys, Prefix + "UrlSigning"));

        if (options.UrlSigning.Keys.Count > 0 && !options.UrlSigning.Keys.ContainsKey(options.UrlSigning.KeyId))
        {
            failures.Add($"{Prefix}UrlSigning:KeyId '{options.UrlSigning.KeyId}' must name one of {Prefix}UrlSigning:Keys");
        }

        if (options.TlsCertificatePath.Length > 0 && Edge.Contracts.CertificateFiles.Problem(options.TlsCertificatePath, options.TlsKeyPath) is { } problem)
        {
            failures.Add($"{Prefix}{nameof(ControlPlaneOptions.TlsCertificatePath)} '{options.TlsCertificatePath}' does not load as a PEM certificate with its private key: {problem}");
        }

        if (options.UrlSigning.Lifetime <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}UrlSigning:Lifetime must be positive (got {options.UrlSigning.Lifetime})");
        }

        if (string.IsNullOrWhiteSpace(options.TopologyFile))
        {
            failures.Add($"{Prefix}{nameof(ControlPlaneOptions.TopologyFile)} is required: the JSON file that lists sites and nodes, e.g. --{Prefix}{nameof(ControlPlaneOptions.TopologyFile)}=/etc/edge/topology.json");
        }

        Positive(failures, nameof(ControlPlaneOptions.HeartbeatInterval), options.HeartbeatInterval);
        Positive(failures, nameof(ControlPlaneOptions.ProbeInterval), options.ProbeInterval);
        Positive(failures, nameof(ControlPlaneOptions.ProbeTimeout), options.ProbeTimeout);
        Positive(failures, nameof(ControlPlaneOptions.SteeringTtl), options.SteeringTtl);
        Positive(failures, nameof(ControlPlaneOptions.LiveSteeringTtl), options.LiveSteeringTtl);
        if (options.RampUpDuration < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}{nameof(ControlPlaneOptions.RampUpDuration)} must not be negative (got {options.RampUpDuration})");
        }

        Range(failures, nameof(ControlPlaneOptions.DownAfterMissedHeartbeats), options.DownAfterMissedHeartbeats, 1, 100);
        Range(failures, nameof(ControlPlaneOptions.DownAfterFailedProbes), options.DownAfterFailedProbes, 1, 100);
        Range(failures, nameof(ControlPlaneOptions.TitleReplicas), options.TitleReplicas, 1, 64);
        Range(failures, nameof(ControlPlaneOptions.TitlePathSegments), options.TitlePathSegments, 1, 16);
        Range(failures, nameof(ControlPlaneOptions.MaxCandidates), options.MaxCandidates, 1, 32);

        if (!(options.LoadBoundFactor >= 1.0 && options.LoadBoundFactor <= 100))
        {
            failures.Add($"{Prefix}{nameof(ControlPlaneOptions.LoadBoundFactor)} must be between 1 and 100 (got {options.LoadBoundFactor})");
        }

        if (!(options.MinOverflowUtilization >= 0 && options.MinOverflowUtilization <= options.MaxUtilization && options.MaxUtilization <= 10))
        {
            failures.Add($"{Prefix}{nameof(ControlPlaneOptions.MinOverflowUtilization)} and {Prefix}{nameof(ControlPlaneOptions.MaxUtilization)} must satisfy 0 <= min <= max (got {options.MinOverflowUtilization} and {options.MaxUtilization})");
        }

        if (options.ExpectedSessionBitsPerSecond < 0)
        {
            failures.Add($"{Prefix}{nameof(ControlPlaneOptions.ExpectedSessionBitsPerSecond)} must not be negative (got {options.ExpectedSessionBitsPerSecond})");
        }

        for (var i = 0; i < options.TrustedProxies.Count; i++)
        {
            var proxy = options.TrustedProxies[i];
            if (!IPNetwork.TryParse(proxy, out _) && !IPAddress.TryParse(proxy, out _))
            {
                failures.Add($"{Prefix}{nameof(ControlPlaneOptions.TrustedProxies)}:{i} '{proxy}' is not an IP address or CIDR network");
            }
        }

        if (options.CorsAllowOrigin.Any(char.IsControl))
        {
            failures.Add($"{Prefix}{nameof(ControlPlaneOptions.CorsAllowOrigin)} must not contain control characters");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(List<string> failures, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}{key} must be a positive duration such as 00:00:01 (got {value})");
        }
    }

    private static void Range(List<string> failures, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{Prefix}{key} must be between {min} and {max} (got {value})");
        }
    }
}
