using Microsoft.Extensions.Options;

namespace Edge.Contracts.AccessLogging;

/// <summary>The per-request access log (<c>AccessLog:*</c>): one JSON line per request, in Elastic Common Schema names.</summary>
public sealed class AccessLogOptions
{
    public const string SectionName = "AccessLog";

    /// <summary>Whether a line is written per request.</summary>
    /// <remarks>Defaults to true, as nginx users expect; it costs the hit path no measurable throughput (benchmarks/README.md).</remarks>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The file lines are appended to, or empty for standard output (what a container's log collector reads).
    /// </summary>
    /// <remarks>Defaults to standard output.</remarks>
    public string Path { get; set; } = "";

    /// <summary>Size at which the file is rotated: <c>access.log</c> becomes <c>access.log.1</c>, and so on.</summary>
    /// <remarks>Defaults to 100 MiB. 0 never rotates (for an outside logrotate with <c>copytruncate</c>).</remarks>
    public long MaxFileBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Rotated files kept besides the current one; older ones are deleted.</summary>
    /// <remarks>Defaults to 5.</remarks>
    public int MaxFiles { get; set; } = 5;

    /// <summary>
    /// Lines waiting for the writer. When the disk or the reader of standard output cannot keep up, further lines are
    /// dropped and counted rather than slowing or stalling requests.
    /// </summary>
    /// <remarks>Defaults to 65,536.</remarks>
    public int QueueLength { get; set; } = 65_536;
}

internal sealed class AccessLogOptionsValidator : IValidateOptions<AccessLogOptions>
{
    public ValidateOptionsResult Validate(string? name, AccessLogOptions options)
    {
        var failures = new List<string>();
        if (options.MaxFileBytes < 0)
        {
            failures.Add($"{AccessLogOptions.SectionName}:{nameof(AccessLogOptions.MaxFileBytes)} must be 0 (never rotate) or more (got {options.MaxFileBytes})");
        }

        if (options.MaxFiles is < 1 or > 1000)
        {
            failures.Add($"{AccessLogOptions.SectionName}:{nameof(AccessLogOptions.MaxFiles)} must be between 1 and 1000 (got {options.MaxFiles})");
        }

        if (options.QueueLength is < 1 or > 10_000_000)
        {
            failures.Add($"{AccessLogOptions.SectionName}:{nameof(AccessLogOptions.QueueLength)} must be between 1 and 10000000 (got {options.QueueLength})");
        }

        if (options.Enabled && options.Path.Length > 0)
        {
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(options.Path));
            if (directory is null || !Directory.Exists(directory))
            {
                failures.Add($"{AccessLogOptions.SectionName}:{nameof(AccessLogOptions.Path)}: the folder of '{options.Path}' does not exist");
            }
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
