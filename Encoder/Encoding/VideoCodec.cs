using System.Globalization;
using Edge.Encoder.Ladder;

namespace Edge.Encoder.Encoding;

/// <summary>A video codec the encoder can produce, with the ffmpeg arguments that give it closed, fixed GOPs.</summary>
public sealed class VideoCodec
{
    public static readonly VideoCodec H264 = new("h264", "libx264", 1.0);

    /// <summary>HEVC, tagged hvc1 as Apple players need; needs about 65% of H.264's rate for the same quality.</summary>
    public static readonly VideoCodec Hevc = new("hevc", "libx265", 0.65);

    /// <summary>AV1 through SVT-AV1; needs about 55% of H.264's rate for the same quality.</summary>
    public static readonly VideoCodec Av1 = new("av1", "libsvtav1", 0.55);

    private VideoCodec(string name, string encoder, double bitrateFactor)
    {
        Name = name;
        Encoder = encoder;
        BitrateFactor = bitrateFactor;
    }

    public string Name { get; }

    /// <summary>The ffmpeg encoder that produces it.</summary>
    public string Encoder { get; }

    /// <summary>Bitrate relative to H.264 for the same quality; scales the default ladder.</summary>
    public double BitrateFactor { get; }

    public static VideoCodec? Parse(string name) => name.ToUpperInvariant() switch
    {
        "H264" or "AVC" => H264,
        "HEVC" or "H265" => Hevc,
        "AV1" => Av1,
        _ => null,
    };

    /// <summary>
    /// Constrained VBR at the rung's rate, or for a per-title rung its constant quality capped at the same peak;
    /// keyframes only where <c>-force_key_frames</c> puts them.
    /// </summary>
    public IEnumerable<string> RateArguments(Rung rung, int gop, string preset) => rung.Crf is { } crf
        ? [.. Common(gop, preset), "-crf", Crf(crf), "-maxrate", Bits(rung.MaxRate), "-bufsize", Bits(rung.BufferSize)]
        : [.. Common(gop, preset), "-b:v", Bits(rung.Bitrate), "-maxrate", Bits(rung.MaxRate), "-bufsize", Bits(rung.BufferSize)];

    /// <summary>Constant-quality trial encode for per-title analysis; <paramref name="crf"/> is on x264's 0-51 scale.</summary>
    public IEnumerable<string> QualityArguments(int crf, int gop, string preset) =>
        [.. Common(gop, preset), "-crf", Crf(crf)];

    public override string ToString() => Name;

    private IEnumerable<string> Common(int gop, string preset)
    {
        var g = gop.ToString(CultureInfo.InvariantCulture);
        if (this == H264)
        {
            return ["-c:v", Encoder, "-preset", preset, "-profile:v", "high", "-pix_fmt", "yuv420p", "-g", g, "-keyint_min", g, "-sc_threshold", "0", "-flags", "+cgop"];
        }

        if (this == Hevc)
        {
            return ["-c:v", Encoder, "-preset", preset, "-tag:v", "hvc1", "-pix_fmt", "yuv420p",
                "-x265-params", $"keyint={g}:min-keyint={g}:scenecut=0:open-gop=0:log-level=error"];
        }

        return ["-c:v", Encoder, "-preset", SvtPreset(preset), "-pix_fmt", "yuv420p", "-g", g];
    }

    // SVT-AV1 numbers its presets 0 (slowest) to 13; map the x264 names onto them.
    private static string SvtPreset(string preset) => preset switch
    {
        "ultrafast" => "12",
        "superfast" => "11",
        "veryfast" => "10",
        "faster" => "9",
        "fast" => "8",
        "medium" => "7",
        "slow" => "6",
        "slower" => "5",
        "veryslow" => "4",
        _ => preset,
    };

    // SVT-AV1 counts CRF to 63 where x264 and x265 count to 51, and takes whole numbers only.
    private string Crf(double crf) => this == Av1
        ? ((int)Math.Round(crf * 63 / 51)).ToString(CultureInfo.InvariantCulture)
        : Math.Round(crf, 1).ToString("0.#", CultureInfo.InvariantCulture);

    private static string Bits(long bitsPerSecond) => bitsPerSecond.ToString(CultureInfo.InvariantCulture);
}
