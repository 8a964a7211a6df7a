using Edge.Testing;

namespace Edge.ControlPlane.Tests.Pages;

/// <summary>One run of the README's main command shared by the browser tests: the title is encoded once.</summary>
public sealed class DemoFixture : IAsyncLifetime
{
    /// <summary>The demo's segment duration (<c>--segment-duration 2</c>).</summary>
    public const double SegmentSeconds = 2;

    private readonly TempDirectory _directory = new();

    public DemoCdn Demo { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Demo = await DemoCdn.StartAsync(_directory.Path, sourceSeconds: 30, patience: TimeSpan.FromMinutes(8));

    public async Task DisposeAsync()
    {
        if (Demo is not null)
        {
            await Demo.DisposeAsync();
        }

        _directory.Dispose();
    }
}

/// <summary>
/// The demo with <c>--live</c> for the live player tests, started when they run: they kill edges of their own, not
/// the shared demo's.
/// </summary>
public sealed class LiveDemoFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();

    public DemoCdn Demo { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Demo = await DemoCdn.StartAsync(_directory.Path, sourceSeconds: 4, patience: TimeSpan.FromMinutes(8), live: true);

    public async Task DisposeAsync()
    {
        if (Demo is not null)
        {
            await Demo.DisposeAsync();
        }

        _directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class DemoGroup : ICollectionFixture<DemoFixture>
{
    public const string Name = "demo";
}

/// <summary>
/// Tests that hold a live player to real time (stalls, latency behind live). A live encoder, three edges and a browser
/// already fill two cores, so these run with nothing else beside them: after every other test of the assembly, and in
/// <c>scripts/test.sh</c> after every other assembly (<see cref="Category"/>).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealTimeGroup
{
    public const string Name = "real-time";

    /// <summary>The trait <c>scripts/test.sh</c> filters on.</summary>
    public const string Category = "RealTime";
}
