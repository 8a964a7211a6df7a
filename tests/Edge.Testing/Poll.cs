using System.Diagnostics;

namespace Edge.Testing;

/// <summary>Waits for another process's state, which no event reports: bounded, and done as soon as it holds.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan patience)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > patience)
            {
                throw new TimeoutException($"gave up waiting for {what} after {patience.TotalSeconds} s");
            }

            await Task.Delay(25);
        }
    }
}
