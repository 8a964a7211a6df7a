using Edge.Testing;

namespace Edge.ControlPlane.Tests.Configuration;

public sealed class ControlPlaneProcessTests
{
    [Theory]
    [InlineData("ControlPlane:TopologyFile is required")]
    [InlineData("ControlPlane:TopologyFile '", "--ControlPlane:TopologyFile={dir}/missing.json")]
    [InlineData("sites[0].prefixes[0]: 'nope'", "--ControlPlane:TopologyFile={bad}")]
    [InlineData("ControlPlane:DownAfterMissedHeartbeats", "--ControlPlane:TopologyFile={good}", "--ControlPlane:DownAfterMissedHeartbeats=0")]
    [InlineData("ControlPlane:LoadBoundFactor", "--ControlPlane:TopologyFile={good}", "--ControlPlane:LoadBoundFactor=0.5")]
    [InlineData("ControlPlane:TrustedProxies:0", "--ControlPlane:TopologyFile={good}", "--ControlPlane:TrustedProxies:0=somewhere")]
    [InlineData("ControlPlane:ProbeInterval", "--ControlPlane:TopologyFile={good}", "--ControlPlane:ProbeInterval=soon")]
    [InlineData("ControlPlane:AdminTokens:0", "--ControlPlane:TopologyFile={good}", "--ControlPlane:AdminTokens:0=short")]
    [InlineData("ControlPlane:UrlSigning:KeyId", "--ControlPlane:TopologyFile={good}", "--ControlPlane:UrlSigning:Keys:k1=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")]
    public async Task Start_BadConfiguration_FailsNamingTheProblem(string expected, params string[] args)
    {
        using var dir = new TempDirectory();
        var good = Path.Combine(dir.Path, "good.json");
        var bad = Path.Combine(dir.Path, "bad.json");
        await File.WriteAllTextAsync(good, """{"sites":[{"id":"ams"}]}""");
        await File.WriteAllTextAsync(bad, """{"sites":[{"id":"ams","prefixes":["nope"]}]}""");
        await using var process = ControlPlaneProcess.Launch(["--urls=http://127.0.0.1:0",
            .. args.Select(a => a.Replace("{dir}", dir.Path).Replace("{good}", good).Replace("{bad}", bad))]);

        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", process.Output, StringComparison.Ordinal);
    }
}
