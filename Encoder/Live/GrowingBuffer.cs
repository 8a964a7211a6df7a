namespace Edge.Encoder.Live;

/// <summary>
/// The bytes of a part or segment that the encoder is still writing: appended to, never changed, read by any
/// number of responses that each send what is there and wait for more until the object is complete. Fragments are
/// appended whole, so even a source that breaks leaves whole media: the track completes the buffer with what it holds.
/// </summary>
internal sealed class GrowingBuffer
{
    private readonly Lock _gate = new();
    private byte[] _bytes;
    private int _length;
    private bool _complete;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GrowingBuffer(int capacity = 16 * 1024) => _bytes = new byte[Math.Max(256, capacity)];

    public int Length
    {
        get
        {
            lock (_gate)
            {
                return _length;
            }
        }
    }

    public bool IsComplete
    {
        get
        {
            lock (_gate)
            {
                return _complete;
            }
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (_complete)
            {
                throw new InvalidOperationException("the buffer is no longer being written");
            }

            if (_length + data.Length > _bytes.Length)
            {
                // Readers may still hold the old array: its first _length bytes stay valid, so it is left as it is.
                var grown = new byte[Math.Max(_bytes.Length * 2, _length + data.Length)];
                _bytes.AsSpan(0, _length).CopyTo(grown);
                _bytes = grown;
            }

            data.CopyTo(_bytes.AsSpan(_length));
            _length += data.Length;
            changed = Swap();
        }

        changed.TrySetResult();
    }

    public void Complete()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (_complete)
            {
                return;
            }

            _complete = true;
            changed = Swap();
        }

        changed.TrySetResult();
    }

    /// <summary>The whole content, once complete.</summary>
    public ReadOnlyMemory<byte> Completed
    {
        get
        {
            lock (_gate)
            {
                return _complete ? _bytes.AsMemory(0, _length) : throw new InvalidOperationException("the buffer is still being written");
            }
        }
    }

    /// <summary>Writes the content to <paramref name="write"/> as it grows, until it is complete.</summary>
    public async Task CopyToAsync(Func<ReadOnlyMemory<byte>, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (true)
        {
            ReadOnlyMemory<byte> chunk;
            bool complete;
            Task changed;
            lock (_gate)
            {
                chunk = _bytes.AsMemory(sent, _length - sent);
                complete = _complete;
                changed = _changed.Task;
            }

            if (!chunk.IsEmpty)
            {
                await write(chunk, cancellationToken);
                sent += chunk.Length;
                continue;
            }

            if (complete)
            {
                return;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    private TaskCompletionSource Swap()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return changed;
    }
}
