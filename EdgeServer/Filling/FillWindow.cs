using System.Globalization;

namespace Edge.EdgeServer.Filling;

/// <summary>A daily window of local time in which fills run, e.g. 02:00-14:00 or 22:00-06:00 (wrapping midnight).</summary>
internal readonly record struct FillWindow(TimeSpan Start, TimeSpan End)
{
    /// <summary>Any time of day.</summary>
    public static FillWindow Always => new(TimeSpan.Zero, TimeSpan.FromDays(1));

    public bool IsAlways => Start == TimeSpan.Zero && End == TimeSpan.FromDays(1);

    public static bool TryParse(string? text, out FillWindow window)
    {
        window = Always;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var parts = text.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length != 2
            || !TimeSpan.TryParseExact(parts[0], @"hh\:mm", CultureInfo.InvariantCulture, out var start)
            || !TimeSpan.TryParseExact(parts[1], @"hh\:mm", CultureInfo.InvariantCulture, out var end)
            || start == end)
        {
            return false;
        }

        window = new FillWindow(start, end);
        return true;
    }

    /// <summary>Zero when <paramref name="localNow"/> is inside the window, else the time until it opens.</summary>
    public TimeSpan UntilOpen(DateTimeOffset localNow)
    {
        if (IsAlways)
        {
            return TimeSpan.Zero;
        }

        var time = localNow.TimeOfDay;
        var inside = Start < End ? time >= Start && time < End : time >= Start || time < End;
        if (inside)
        {
            return TimeSpan.Zero;
        }

        var wait = Start - time;
        return wait < TimeSpan.Zero ? wait + TimeSpan.FromDays(1) : wait;
    }

    public override string ToString() => IsAlways ? "always" : $"{Start:hh\\:mm}-{End:hh\\:mm}";
}
