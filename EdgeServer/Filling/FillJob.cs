namespace Edge.EdgeServer.Filling;

/// <summary>States of a fill job.</summary>
internal static class FillStates
{
    public const string Queued = "queued";
    public const string WaitingForWindow = "waiting-for-window";
    public const string Running = "running";

    /// <summary>A live title's listed objects are stored; its playlists are read again as they grow.</summary>
    public const string Following = "following";
    public const string Done = "done";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsFinished(string state) => state is Done or Failed or Cancelled;
}

/// <summary>
/// One proactive fill: a title's manifest tree and every segment of every rendition, pinned; for a live title, what
/// its playlists list and then add for as long as the event runs.
/// </summary>
internal sealed class FillJob
{
    private const int MaxErrors = 20;

    public required string Id { get; init; }

    /// <summary>Path of the title's master manifest at the fill source.</summary>
    public required string Manifest { get; init; }

    /// <summary>The pinned path prefix: the manifest's folder.</summary>
    public required string Prefix { get; init; }

    public string State { get; set; } = FillStates.Queued;

    /// <summary>
    /// The title is live (a media playlist without <c>EXT-X-ENDLIST</c>, a dynamic MPD): its playlists are followed
    /// until the event ends, and the folder is not pinned, so the event's parts age out of the cache like any others.
    /// </summary>
    public bool Live { get; set; }

    /// <summary>Rounds of reading a live title's playlists again while the job follows them.</summary>
    public int Reloads { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Objects found in the manifest tree so far (manifests included).</summary>
    public int ObjectsTotal { get; set; }

    /// <summary>Objects done: fetched now or already present.</summary>
    public int ObjectsDone { get; set; }

    /// <summary>Objects that were already in the cache and were not fetched again.</summary>
    public int ObjectsPresent { get; set; }

    public int ObjectsFailed { get; set; }

    /// <summary>Bytes fetched from the fill source by this job.</summary>
    public long BytesFetched { get; set; }

    /// <summary>Bytes of the title held in the cache.</summary>
    public long BytesDone { get; set; }

    public List<string> Errors { get; set; } = [];

    public void AddError(string error)
    {
        lock (Errors)
        {
            if (Errors.Count < MaxErrors)
            {
                Errors.Add(error);
            }
        }
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(FillJob))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<FillJob>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(FillRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(PurgeResult))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class FillJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>Body of <c>POST /admin/fills</c>: the title's master manifest, as a path or a URL at the fill source.</summary>
internal sealed record FillRequest(string? Manifest);

/// <summary>What a purge removed.</summary>
internal sealed record PurgeResult(int Objects, long Bytes);
