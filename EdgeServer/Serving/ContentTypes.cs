using System.Collections.Frozen;

namespace Edge.EdgeServer.Serving;

/// <summary>Media types of the files a video CDN serves, by extension; players rely on them (Safari does).</summary>
internal static class ContentTypes
{
    private static readonly FrozenDictionary<string, string> ByExtension = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".m3u8"] = "application/vnd.apple.mpegurl",
        [".mpd"] = "application/dash+xml",
        [".m4s"] = "video/iso.segment",
        [".mp4"] = "video/mp4",
        [".m4v"] = "video/mp4",
        [".m4a"] = "audio/mp4",
        [".cmfv"] = "video/mp4",
        [".cmfa"] = "audio/mp4",
        [".cmft"] = "application/mp4",
        [".ts"] = "video/mp2t",
        [".aac"] = "audio/aac",
        [".vtt"] = "text/vtt",
        [".webvtt"] = "text/vtt",
        [".json"] = "application/json",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> Lookup =
        ByExtension.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The media type for <paramref name="path"/>'s extension, or null when it is not a known video file type.</summary>
    public static string? ForPath(ReadOnlySpan<char> path)
    {
        var slash = path.LastIndexOf('/');
        var dot = path.LastIndexOf('.');
        return dot > slash && Lookup.TryGetValue(path[dot..], out var type) ? type : null;
    }
}
