using System.Text.RegularExpressions;
using Edge.Encoder.Encoding;

namespace Edge.Encoder.Publishing;

/// <summary>
/// A title being written: a hidden folder next to its final place in the content directory, renamed into place in one
/// step when complete, and deleted if the encode fails or is cancelled. The origin never serves dot-folders, so it
/// never sees a half-encoded title.
/// </summary>
public sealed partial class TitleStaging : IDisposable
{
    private bool _published;

    private TitleStaging(string contentRoot, string id, bool replace)
    {
        ContentRoot = contentRoot;
        Id = id;
        Replace = replace;
        FinalPath = System.IO.Path.Combine(contentRoot, id);
        Path = System.IO.Path.Combine(contentRoot, $".{id}.partial-{Guid.NewGuid():N}");
    }

    public string ContentRoot { get; }

    public string Id { get; }

    public bool Replace { get; }

    /// <summary>The staging folder.</summary>
    public string Path { get; }

    /// <summary>Where the title is published.</summary>
    public string FinalPath { get; }

    /// <summary>Checks the title id and that it is free (unless replacing), then creates the staging folder.</summary>
    public static TitleStaging Begin(string contentRoot, string id, bool replace)
    {
        CheckId(id);
        var staging = new TitleStaging(System.IO.Path.GetFullPath(contentRoot), id, replace);
        staging.CheckFree();
        Directory.CreateDirectory(staging.Path);
        return staging;
    }

    /// <summary>Throws unless <paramref name="id"/> is a safe folder name: letters, digits, '.', '_' and '-', not starting with '.'.</summary>
    public static void CheckId(string id)
    {
        if (!IdPattern().IsMatch(id))
        {
            throw new EncoderException($"title id '{id}' must be 1-128 letters, digits, '.', '_' or '-', and not start with '.' or '-'");
        }
    }

    /// <summary>Moves the finished title into place in one rename.</summary>
    public void Publish()
    {
        CheckFree();
        string? old = null;
        if (Directory.Exists(FinalPath))
        {
            old = System.IO.Path.Combine(ContentRoot, $".{Id}.old-{Guid.NewGuid():N}");
            Directory.Move(FinalPath, old);
        }

        try
        {
            Directory.Move(Path, FinalPath);
        }
        catch (IOException ex)
        {
            if (old is not null && !Directory.Exists(FinalPath))
            {
                Directory.Move(old, FinalPath);
            }

            throw new EncoderException($"title '{Id}' could not be published to '{FinalPath}': {ex.Message}", ex);
        }

        _published = true;
        if (old is not null)
        {
            Directory.Delete(old, recursive: true);
        }
    }

    public void Dispose()
    {
        if (!_published && Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }

    private void CheckFree()
    {
        if (!Replace && (Directory.Exists(FinalPath) || File.Exists(FinalPath)))
        {
            throw new EncoderException($"title '{Id}' is already published at '{FinalPath}'; published titles are immutable (pass --replace to replace it)");
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex IdPattern();
}
