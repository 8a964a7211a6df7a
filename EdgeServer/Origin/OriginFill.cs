using Edge.EdgeServer.Caching;
using Microsoft.Win32.SafeHandles;

namespace Edge.EdgeServer.Origin;

/// <summary>
/// One origin fetch that any number of clients read while it arrives. The body goes to a temporary
/// file; readers read it by position and wait for more, so a late joiner starts from byte zero.
/// </summary>
internal sealed class OriginFill(UInt128 hash, string key, ObjectMetadata? stale = null, bool admit = true, ForwardedRequest? forwarded = null)
{
    /// <summary>The request fields sent to the origin: those of the client that started the fill.</summary>
    public ForwardedRequest Forwarded { get; } = forwarded ?? ForwardedRequest.None;

    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private const int Running = 0;
    private const int Completed = 1;
    private const int Failed = 2;

    private readonly TaskCompletionSource<FillHead> _head = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _available;
    private int _state;

    // One reference for the fetch itself plus one per client reading; the file closes at zero.
    private int _references = 1;
    private string? _failure;
    private TempObject? _temp;

    public UInt128 Hash { get; } = hash;

    /// <summary>The object's cache key (a variant's object key, without the variant part): what the origin is asked for.</summary>
    public string Key { get; } = key;

    /// <summary>The stored copy this fetch revalidates, or null for a plain fetch.</summary>
    public ObjectMetadata? Stale { get; } = stale;

    private volatile bool _admit = admit;

    /// <summary>Whether the object may enter the disk cache (the doorkeeper's say), if HTTP allows storing it.</summary>
    public bool Admit => _admit;

    /// <summary>
    /// A second request joined before the origin answered: the object is wanted twice, so it may be stored after all.
    /// Read once the origin's headers arrive; later calls change nothing.
    /// </summary>
    public void AdmitNow() => _admit = true;

    /// <summary>Completes when the fetch ends: true when it completed, false when it failed.</summary>
    public Task<bool> Done => _done.Task;

    public Task<FillHead> Head => _head.Task;

    public SafeFileHandle? Handle => _temp?.Handle;

    internal void SetTemp(TempObject temp) => _temp = temp;

    internal TempObject? Temp => _temp;

    /// <summary>How long the upstream took to answer with its head (zero when it was never asked).</summary>
    public TimeSpan UpstreamDuration { get; private set; }

    private long _fetchStarted;

    /// <summary>The upstream request is about to be sent.</summary>
    internal void FetchStarting() => _fetchStarted = System.Diagnostics.Stopwatch.GetTimestamp();

    internal void SetHead(FillHead head)
    {
        if (_fetchStarted != 0)
        {
            UpstreamDuration = System.Diagnostics.Stopwatch.GetElapsedTime(_fetchStarted);
        }

        _head.TrySetResult(head);
    }

    /// <summary>Joins as a reader so the temporary file stays open; false once the fill has finished and let it go.</summary>
    public bool TryJoin()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Drops a reference taken by <see cref="TryJoin"/> or held by the fetch; the last one closes the file.</summary>
    public void Leave()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _temp?.Dispose();
        }
    }

    /// <summary>
    /// Waits until more than <paramref name="position"/> body bytes are on disk and returns how many
    /// are; when the fill is complete, returns the total even if it is not more.
    /// </summary>
    public async ValueTask<long> WaitForAsync(long position, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Read the signal before the count: a writer bumps the count, then completes the old signal.
            var progress = Volatile.Read(ref _progress);
            var available = Volatile.Read(ref _available);
            if (available > position)
            {
                return available;
            }

            switch (Volatile.Read(ref _state))
            {
                case Completed:
                    return available;
                case Failed:
                    throw new FillFailedException(_failure ?? "origin fill failed");
            }

            await progress.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    internal void Advance(int bytes)
    {
        Interlocked.Add(ref _available, bytes);
        Signal();
    }

    internal void Complete()
    {
        Volatile.Write(ref _state, Completed);
        Signal();
        _done.TrySetResult(true);
    }

    internal void Fail(string reason)
    {
        _failure = reason;
        Volatile.Write(ref _state, Failed);
        Signal();
        _done.TrySetResult(false);
    }

    /// <summary>Why the fetch failed, once it has.</summary>
    public string? Failure => _failure;

    private void Signal()
    {
        var previous = Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
    }
}
