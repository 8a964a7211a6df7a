using Edge.Encoder.Origin;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Encoder.Tests;

/// <summary>The encoder's origin mode on a free loopback port.</summary>
public sealed class OriginFixture : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OriginFixture(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public static async Task<OriginFixture> StartAsync(string content)
    {
        var app = OriginHost.Build(content, ["--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new OriginFixture(app, url);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
