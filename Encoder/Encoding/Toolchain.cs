using System.Diagnostics;
using FFMpegCore;

namespace Edge.Encoder.Encoding;

/// <summary>The ffmpeg and ffprobe binaries the encoder drives, found once, with what this build of ffmpeg can do.</summary>
public sealed class Toolchain
{
    private readonly Lazy<Task<string>> _filters;

    private Toolchain(string folder)
    {
        Folder = folder;
        Options = new FFOptions { BinaryFolder = folder };
        _filters = new(() => ListFiltersAsync(Path.Combine(folder, "ffmpeg")));
    }

    /// <summary>Folder holding both binaries.</summary>
    public string Folder { get; }

    public FFOptions Options { get; }

    /// <summary>
    /// Finds ffmpeg and ffprobe in <paramref name="folder"/>, else <c>FFMPEG_DIR</c>, else on <c>PATH</c>; throws an
    /// <see cref="EncoderException"/> that says what to install when they are missing.
    /// </summary>
    public static Toolchain Locate(string? folder = null)
    {
        folder ??= Environment.GetEnvironmentVariable("FFMPEG_DIR");
        IEnumerable<string> candidates = folder is { Length: > 0 }
            ? [folder]
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var candidate in candidates)
        {
            if (File.Exists(Path.Combine(candidate, "ffmpeg")) && File.Exists(Path.Combine(candidate, "ffprobe")))
            {
                return new Toolchain(Path.GetFullPath(candidate));
            }
        }

        var where = folder is { Length: > 0 } ? $"in '{folder}'" : "on PATH";
        throw new EncoderException(
            $"ffmpeg and ffprobe were not found {where}. Install them (Debian/Ubuntu: apt-get install -y ffmpeg) " +
            "or point --ffmpeg-dir (or FFMPEG_DIR) at the folder that holds both.");
    }

    /// <summary>
    /// An ffmpeg used only to measure quality (one built with libvmaf, when the encoding one is not): the binary, or
    /// the folder that holds it; the binary must be named <c>ffmpeg</c>. Throws naming <paramref name="option"/> when
    /// it is not there.
    /// </summary>
    public static Toolchain ForMetrics(string path, string option)
    {
        var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(path) && Path.GetFileName(path) != "ffmpeg")
        {
            throw new EncoderException($"{option} must be an ffmpeg binary named 'ffmpeg' or the folder that holds one, not '{path}'");
        }

        if (!File.Exists(Path.Combine(folder, "ffmpeg")))
        {
            throw new EncoderException($"{option}: no ffmpeg at '{Path.Combine(folder, "ffmpeg")}'");
        }

        return new Toolchain(Path.GetFullPath(folder));
    }

    /// <summary>Whether this ffmpeg has the named filter (libvmaf is an optional build feature).</summary>
    public async Task<bool> HasFilterAsync(string name)
    {
        var filters = await _filters.Value;
        return filters.Split('\n').Any(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var filter, ..] && filter == name);
    }

    private static async Task<string> ListFiltersAsync(string ffmpeg)
    {
        var info = new ProcessStartInfo(ffmpeg, ["-hide_banner", "-filters"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return await output;
    }
}
