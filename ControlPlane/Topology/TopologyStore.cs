using Edge.ControlPlane.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.ControlPlane.Topology;

/// <summary>The topology file could not be loaded at start-up.</summary>
public sealed class TopologyException(string message) : Exception(message);

/// <summary>
/// Holds the topology in force and reloads it when the file changes. A file that fails to parse or check is
/// reported (log, metrics, <c>/v1/topology</c>) and the last good topology stays in force.
/// </summary>
internal sealed partial class TopologyStore : IDisposable
{
    // Watchers miss some changes (Kubernetes swaps ConfigMap symlinks; editors replace files), so the file is also polled.
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(100);

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly ILogger<TopologyStore> _logger;
    private readonly Lock _gate = new();
    private NetworkTopology? _current;
    private string? _currentText;
    private FileSystemWatcher? _watcher;
    private ITimer? _poll;
    private ITimer? _debounce;

    public TopologyStore(IOptions<ControlPlaneOptions> options, TimeProvider time, ILogger<TopologyStore> logger)
    {
        _path = Path.GetFullPath(options.Value.TopologyFile);
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised after a new topology is put in force.</summary>
    public event Action<NetworkTopology>? Changed;

    /// <summary>Raised after every reload attempt that read a changed file, with whether it was accepted.</summary>
    public event Action<bool>? Reloaded;

    public string FilePath => _path;

    public NetworkTopology Current => Volatile.Read(ref _current) ?? throw new InvalidOperationException("the topology has not been loaded");

    /// <summary>Increments with each accepted file.</summary>
    public long Version { get; private set; }

    public DateTimeOffset LoadedAt { get; private set; }

    /// <summary>Why the newest file was rejected; null when the file in force is the newest.</summary>
    public string? LastError { get; private set; }

    public DateTimeOffset? LastErrorAt { get; private set; }

    /// <summary>Loads the file for the first time; a bad file stops start-up with every problem named.</summary>
    public void Load()
    {
        string text;
        try
        {
            text = File.ReadAllText(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TopologyException($"{ControlPlaneOptions.SectionName}:{nameof(ControlPlaneOptions.TopologyFile)} '{_path}' cannot be read: {ex.Message}");
        }

        if (!TopologyParser.TryParse(text, out var topology, out var errors))
        {
            throw new TopologyException($"{ControlPlaneOptions.SectionName}:{nameof(ControlPlaneOptions.TopologyFile)} '{_path}' is invalid:\n  " + string.Join("\n  ", errors));
        }

        Accept(topology!, text);
    }

    /// <summary>Starts following the file for changes.</summary>
    public void Watch()
    {
        var directory = Path.GetDirectoryName(_path)!;
        _watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
        _watcher.Changed += (_, _) => Schedule();
        _watcher.Created += (_, _) => Schedule();
        _watcher.Renamed += (_, _) => Schedule();
        _watcher.EnableRaisingEvents = true;
        _poll = _time.CreateTimer(_ => Reload(), null, PollInterval, PollInterval);
    }

    /// <summary>Reads the file again; a valid, changed file is put in force. Returns whether the topology changed.</summary>
    public bool Reload()
    {
        string text;
        try
        {
            text = File.ReadAllText(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Reject($"cannot be read: {ex.Message}", text: null);
        }

        lock (_gate)
        {
            if (text == _currentText)
            {
                return false;
            }
        }

        if (!TopologyParser.TryParse(text, out var topology, out var errors))
        {
            return Reject(string.Join("; ", errors), text);
        }

        Accept(topology!, text);
        Reloaded?.Invoke(true);
        return true;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _poll?.Dispose();
        _debounce?.Dispose();
    }

    private void Schedule()
    {
        // Editors write in several steps; reload once they are done.
        lock (_gate)
        {
            _debounce?.Dispose();
            _debounce = _time.CreateTimer(_ => Reload(), null, Debounce, Timeout.InfiniteTimeSpan);
        }
    }

    private void Accept(NetworkTopology topology, string text)
    {
        lock (_gate)
        {
            _currentText = text;
            Version++;
            LoadedAt = _time.GetUtcNow();
            LastError = null;
            LastErrorAt = null;
            Volatile.Write(ref _current, topology);
        }

        LogLoaded(_logger, Version, _path, topology.Sites.Count, topology.Nodes.Count, topology.PrefixCount);
        Changed?.Invoke(topology);
    }

    private bool Reject(string error, string? text)
    {
        lock (_gate)
        {
            // Report a bad file once, not on every poll.
            if (error == LastError)
            {
                return false;
            }

            LastError = error;
            LastErrorAt = _time.GetUtcNow();
            // Forget the good file's text, so that putting it back counts as a change and clears the error.
            if (text is not null)
            {
                _currentText = null;
            }
        }

        LogRejected(_logger, _path, Version, error);
        Reloaded?.Invoke(false);
        return false;
    }

    [LoggerMessage(1, LogLevel.Information, "Topology v{Version} from {Path}: {Sites} sites, {Nodes} nodes, {Prefixes} prefixes")]
    private static partial void LogLoaded(ILogger logger, long version, string path, int sites, int nodes, int prefixes);

    [LoggerMessage(2, LogLevel.Error, "Topology file {Path} rejected; v{Version} stays in force: {Error}")]
    private static partial void LogRejected(ILogger logger, string path, long version, string error);
}
