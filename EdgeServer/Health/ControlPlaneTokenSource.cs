using System.Net.Http.Headers;
using Edge.EdgeServer.Configuration;

namespace Edge.EdgeServer.Health;

/// <summary>
/// The heartbeat's credential: <c>Edge:ControlPlaneToken</c>, or the contents of <c>Edge:ControlPlaneTokenFile</c>,
/// read again when the file changes (a Kubernetes secret is replaced by swapping a symlink, which changes its time).
/// </summary>
internal sealed class ControlPlaneTokenSource
{
    /// <summary>The most a token file may hold; a token is 64 hex characters.</summary>
    private const int MaxFileBytes = 4096;

    private readonly string _file;
    private DateTime _readAt = DateTime.MinValue;
    private AuthenticationHeaderValue? _current;

    public ControlPlaneTokenSource(EdgeOptions options)
    {
        _file = options.ControlPlaneTokenFile;
        if (options.ControlPlaneToken.Length > 0)
        {
            _current = new AuthenticationHeaderValue("Bearer", options.ControlPlaneToken);
        }
    }

    /// <summary>The header to send now; the last good token when the file cannot be read.</summary>
    public AuthenticationHeaderValue? Current()
    {
        if (_file.Length == 0)
        {
            return _current;
        }

        try
        {
            var written = File.GetLastWriteTimeUtc(_file);
            if (written != _readAt && TryRead(_file, out var token, out _) && token.Length > 0)
            {
                _current = new AuthenticationHeaderValue("Bearer", token);
                _readAt = written;
            }
        }
        catch (IOException)
        {
            // Mid-swap or gone: keep the last good token.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return _current;
    }

    /// <summary>Reads a token file: its first line, trimmed.</summary>
    public static bool TryRead(string path, out string token, out string problem)
    {
        token = "";
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                problem = "no such file";
                return false;
            }

            if (info.Length > MaxFileBytes)
            {
                problem = $"larger than {MaxFileBytes} bytes; it should hold one token";
                return false;
            }

            var text = File.ReadAllText(path);
            var end = text.IndexOfAny(['\r', '\n']);
            token = (end < 0 ? text : text[..end]).Trim();
            problem = "";
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = ex.Message;
            return false;
        }
    }
}
