using System.Globalization;

namespace Edge.Encoder.Ladder;

/// <summary>A frame rate as ffprobe states it: an exact fraction such as 30000/1001.</summary>
public readonly record struct FrameRate(long Numerator, long Denominator)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public double Value => (double)Numerator / Denominator;

    /// <summary>The rate halved exactly (60 to 30, 59.94 to 29.97).</summary>
    public FrameRate Half() => Numerator % 2 == 0 ? new(Numerator / 2, Denominator) : new(Numerator, Denominator * 2);

    /// <summary>
    /// The rate halved until it is at most 60 (120 to 60, 119.88 to 59.94): Apple's authoring spec stops at 60 fps, and
    /// players and devices are not tested above it.
    /// </summary>
    public FrameRate AtMost60()
    {
        var rate = this;
        while (rate.Value > 60.5)
        {
            rate = rate.Half();
        }

        return rate;
    }

    public override string ToString() => Denominator == 1
        ? Numerator.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{Numerator}/{Denominator}");

    public static bool TryParse(string? text, out FrameRate rate)
    {
        rate = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var parts = text.Split('/');
        if (!long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var numerator))
        {
            return false;
        }

        long denominator = 1;
        if (parts.Length > 2 || (parts.Length == 2 && !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out denominator)))
        {
            return false;
        }

        if (numerator <= 0 || denominator <= 0)
        {
            return false;
        }

        rate = new FrameRate(numerator, denominator);
        return true;
    }
}
