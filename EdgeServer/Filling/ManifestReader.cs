using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace Edge.EdgeServer.Filling;

/// <summary>Lists every object an HLS playlist or DASH MPD refers to, as paths on this node.</summary>
internal static partial class ManifestReader
{
    /// <summary>Most objects one manifest may list: a manifest is outside input, and a template can name billions.</summary>
    public const int MaxReferences = 100_000;

    private static readonly XNamespace Mpd = "urn:mpeg:dash:schema:mpd:2011";
    private static readonly TimeSpan MinReload = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxReload = TimeSpan.FromSeconds(10);

    public static bool IsManifest(string key) =>
        key.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase) || key.EndsWith(".mpd", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the manifest is live: an HLS media playlist without <c>EXT-X-ENDLIST</c>, or a dynamic MPD.</summary>
    public static bool IsLive(string key, string text) =>
        key.EndsWith(".mpd", StringComparison.OrdinalIgnoreCase)
            ? text.Contains("type=\"dynamic\"", StringComparison.Ordinal)
            : (text.Contains("#EXTINF", StringComparison.Ordinal) || text.Contains("#EXT-X-PART:", StringComparison.Ordinal))
              && !text.Contains("#EXT-X-ENDLIST", StringComparison.Ordinal);

    /// <summary>
    /// Paths referenced by the manifest at <paramref name="key"/>; references to other hosts are left out. A dynamic
    /// MPD's numbered segments are those complete at <paramref name="now"/> within its time-shift window.
    /// </summary>
    /// <exception cref="FormatException">The manifest is malformed or lists more than <see cref="MaxReferences"/> objects.</exception>
    public static List<string> References(string key, string text, DateTimeOffset now = default) =>
        key.EndsWith(".mpd", StringComparison.OrdinalIgnoreCase) ? Dash(key, text, now) : Hls(key, text);

    /// <summary>
    /// How often a live manifest is read again: an HLS playlist every part (or half a target duration), as its
    /// players do; an MPD at its <c>minimumUpdatePeriod</c>; between 250 ms and 10 s whatever it says.
    /// </summary>
    public static TimeSpan ReloadInterval(string key, string text)
    {
        double? seconds;
        if (key.EndsWith(".mpd", StringComparison.OrdinalIgnoreCase))
        {
            var period = MinimumUpdatePeriod().Match(text);
            seconds = period.Success ? TryDuration(period.Groups[1].Value) : null;
        }
        else
        {
            var part = PartTarget().Match(text);
            var target = TargetDuration().Match(text);
            seconds = part.Success ? Number(part.Groups[1].Value) : target.Success ? Number(target.Groups[1].Value) / 2 : null;
        }

        var interval = seconds is > 0 ? TimeSpan.FromSeconds(Math.Min(seconds.Value, MaxReload.TotalSeconds)) : TimeSpan.FromSeconds(1);
        return interval < MinReload ? MinReload : interval > MaxReload ? MaxReload : interval;

        static double? Number(string value) => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : null;

        static double? TryDuration(string value)
        {
            try
            {
                return XmlConvert.ToTimeSpan(value).TotalSeconds;
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }

    private static List<string> Hls(string key, string text)
    {
        var found = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line[0] != '#')
            {
                Add(found, key, line);
            }
            else if (line.StartsWith("#EXT-X-MEDIA:", StringComparison.Ordinal) || line.StartsWith("#EXT-X-I-FRAME-STREAM-INF:", StringComparison.Ordinal)
                || line.StartsWith("#EXT-X-MAP:", StringComparison.Ordinal) || line.StartsWith("#EXT-X-PART:", StringComparison.Ordinal))
            {
                var uri = UriAttribute().Match(line);
                if (uri.Success)
                {
                    Add(found, key, uri.Groups[1].Value);
                }
            }
        }

        return [.. found.Distinct(StringComparer.Ordinal)];
    }

    private static List<string> Dash(string key, string text, DateTimeOffset now)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(text), settings);
        var mpd = XDocument.Load(reader).Root ?? throw new FormatException("empty MPD");
        var found = new List<string>();
        var presentation = Duration(mpd.Attribute("mediaPresentationDuration")?.Value);
        LiveWindow? live = mpd.Attribute("type")?.Value == "dynamic" && mpd.Attribute("availabilityStartTime")?.Value is { } ast
            ? new LiveWindow(XmlConvert.ToDateTimeOffset(ast), Duration(mpd.Attribute("timeShiftBufferDepth")?.Value), now)
            : null;
        var mpdBase = Base(key, mpd);
        foreach (var period in mpd.Elements(Mpd + "Period"))
        {
            var periodBase = Base(mpdBase, period);
            var periodDuration = Duration(period.Attribute("duration")?.Value) ?? presentation ?? 0;
            var periodStart = Duration(period.Attribute("start")?.Value) ?? 0;
            foreach (var set in period.Elements(Mpd + "AdaptationSet"))
            {
                var setBase = Base(periodBase, set);
                foreach (var representation in set.Elements(Mpd + "Representation"))
                {
                    var representationBase = Base(setBase, representation);
                    var template = Merge(set.Element(Mpd + "SegmentTemplate"), representation.Element(Mpd + "SegmentTemplate"));
                    var list = representation.Element(Mpd + "SegmentList") ?? set.Element(Mpd + "SegmentList");
                    if (template is not null)
                    {
                        Template(found, representationBase, representation, template, periodDuration, live is { } window ? window with { PeriodStart = periodStart } : null);
                    }
                    else if (list is not null)
                    {
                        if (list.Element(Mpd + "Initialization")?.Attribute("sourceURL")?.Value is { } init)
                        {
                            Add(found, representationBase, init);
                        }

                        foreach (var url in list.Elements(Mpd + "SegmentURL"))
                        {
                            if (url.Attribute("media")?.Value is { } media)
                            {
                                Add(found, representationBase, media);
                            }
                        }
                    }
                    else if (representation.Element(Mpd + "BaseURL") is not null)
                    {
                        // SegmentBase: the whole representation is one file.
                        Add(found, representationBase, representationBase);
                    }
                }
            }
        }

        return [.. found.Distinct(StringComparer.Ordinal)];
    }

    private static void Template(List<string> found, string baseKey, XElement representation, Dictionary<string, string> template, double periodSeconds, LiveWindow? live)
    {
        var id = representation.Attribute("id")?.Value ?? "";
        var bandwidth = representation.Attribute("bandwidth")?.Value ?? "";
        if (template.TryGetValue("initialization", out var init))
        {
            Add(found, baseKey, Fill(init, id, bandwidth, 0, 0));
        }

        if (!template.TryGetValue("media", out var media))
        {
            return;
        }

        var timescale = template.TryGetValue("timescale", out var ts) ? long.Parse(ts, CultureInfo.InvariantCulture) : 1;
        var number = template.TryGetValue("startNumber", out var sn) ? long.Parse(sn, CultureInfo.InvariantCulture) : 1;
        if (template.TryGetValue("#timeline", out var timeline))
        {
            long time = 0;
            foreach (var s in timeline.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = s.Split(',');
                if (parts[0].Length > 0)
                {
                    time = long.Parse(parts[0], CultureInfo.InvariantCulture);
                }

                var duration = long.Parse(parts[1], CultureInfo.InvariantCulture);
                var repeat = int.Parse(parts[2], CultureInfo.InvariantCulture);
                for (var i = 0; i <= repeat; i++)
                {
                    Add(found, baseKey, Fill(media, id, bandwidth, number++, time));
                    time += duration;
                }
            }
        }
        else if (template.TryGetValue("duration", out var d))
        {
            var duration = long.Parse(d, CultureInfo.InvariantCulture);
            if (duration <= 0 || timescale <= 0)
            {
                throw new FormatException("a SegmentTemplate's duration and timescale must be positive");
            }

            var (first, count) = live is { } window ? window.Available(duration / (double)timescale) : (0, (long)Math.Ceiling(periodSeconds * timescale / duration));
            for (var i = first; i < first + count; i++)
            {
                Add(found, baseKey, Fill(media, id, bandwidth, number + i, i * duration));
            }
        }
    }

    private static Dictionary<string, string>? Merge(XElement? outer, XElement? inner)
    {
        if (outer is null && inner is null)
        {
            return null;
        }

        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var element in new[] { outer, inner })
        {
            if (element is null)
            {
                continue;
            }

            foreach (var attribute in element.Attributes())
            {
                merged[attribute.Name.LocalName] = attribute.Value;
            }

            if (element.Element(Mpd + "SegmentTimeline") is { } timeline)
            {
                merged["#timeline"] = string.Join(';', timeline.Elements(Mpd + "S").Select(s =>
                    $"{s.Attribute("t")?.Value},{s.Attribute("d")?.Value ?? "0"},{s.Attribute("r")?.Value ?? "0"}"));
            }
        }

        return merged;
    }

    // $RepresentationID$, $Bandwidth$, $Number$ and $Time$, with an optional printf width such as %05d.
    private static string Fill(string template, string id, string bandwidth, long number, long time) =>
        TemplateVariable().Replace(template, match =>
        {
            var name = match.Groups[1].Value;
            var width = match.Groups[2].Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
            return name switch
            {
                "" => "$",
                "RepresentationID" => id,
                "Bandwidth" => bandwidth.PadLeft(width, '0'),
                "Number" => number.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0'),
                "Time" => time.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0'),
                _ => match.Value,
            };
        });

    private static string Base(string parentKey, XElement element) =>
        element.Element(Mpd + "BaseURL")?.Value.Trim() is { Length: > 0 } baseUrl && Resolve(parentKey, baseUrl) is { } resolved ? resolved : parentKey;

    private static double? Duration(string? iso) => iso is null ? null : XmlConvert.ToTimeSpan(iso).TotalSeconds;

    private static void Add(List<string> found, string baseKey, string reference)
    {
        if (found.Count >= MaxReferences)
        {
            throw new FormatException($"the manifest lists more than {MaxReferences} objects");
        }

        if (Resolve(baseKey, reference) is { } path)
        {
            found.Add(path);
        }
    }

    private static string? Resolve(string baseKey, string reference)
    {
        var resolved = new Uri(new Uri("http://node" + baseKey), reference);
        return resolved.Host == "node" && resolved.Scheme == "http" ? Uri.UnescapeDataString(resolved.AbsolutePath) : null;
    }

    [GeneratedRegex(@"URI=""([^""]+)""")]
    private static partial Regex UriAttribute();

    [GeneratedRegex(@"#EXT-X-PART-INF:.*PART-TARGET=([0-9.]+)")]
    private static partial Regex PartTarget();

    [GeneratedRegex(@"#EXT-X-TARGETDURATION:([0-9.]+)")]
    private static partial Regex TargetDuration();

    [GeneratedRegex(@"minimumUpdatePeriod=""([^""]+)""")]
    private static partial Regex MinimumUpdatePeriod();

    /// <summary>
    /// A dynamic MPD's clock: segment <c>i</c> of a period is complete once <c>AST + start + (i + 1) × duration</c>
    /// has passed, and listed while it ends inside the time-shift window (the last 1,000 when there is none).
    /// </summary>
    private readonly record struct LiveWindow(DateTimeOffset AvailabilityStart, double? TimeShiftSeconds, DateTimeOffset Now, double PeriodStart = 0)
    {
        private const long WithoutWindow = 1000;

        public (long First, long Count) Available(double segmentSeconds)
        {
            var elapsed = (Now - AvailabilityStart).TotalSeconds - PeriodStart;
            var complete = (long)Math.Floor(elapsed / segmentSeconds);
            if (complete <= 0)
            {
                return (0, 0);
            }

            var window = TimeShiftSeconds is { } depth ? (long)Math.Ceiling(depth / segmentSeconds) : WithoutWindow;
            var count = Math.Min(complete, Math.Min(window, MaxReferences));
            return (complete - count, count);
        }
    }

    [GeneratedRegex(@"\$(RepresentationID|Bandwidth|Number|Time|)(?:%0(\d+)d)?\$")]
    private static partial Regex TemplateVariable();
}
