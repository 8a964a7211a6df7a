using Edge.Testing;

namespace Edge.ControlPlane.Tests.Pages;

/// <summary>One run of the README's main command shared by the browser tests: the title is encoded once, and a live title runs beside it.</summary>
public sealed class DemoFixture : IAsyncLifetime
{
    /// <summary>The demo's segment duration (<c>--segment-duration 2</c>).</summary>
    public const double SegmentSeconds = 2;

    private readonly TempDirectory _directory = new();

    public DemoCdn Demo { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Demo = await DemoCdn.StartAsync(_directory.Path, sourceSeconds: 30, patience: TimeSpan.FromMinutes(8), live: true);

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
