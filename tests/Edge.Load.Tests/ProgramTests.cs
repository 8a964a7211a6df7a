using Edge.Encoder.Cli;

namespace Edge.Load.Tests;

public sealed class ProgramTests
{
    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("1.5", 1_500)]
    [InlineData("00:01:00", 60_000)]
    public void ParseDuration_CommonForms_Milliseconds(string text, double milliseconds)
    {
        Assert.Equal(milliseconds, Program.ParseDuration(text).TotalMilliseconds);
    }

    [Fact]
    public void ParseHttp_RepeatedUrlsAndRate_AllKept()
    {
        var options = Program.ParseHttp(["--url", "http://127.0.0.1:1/a", "--url=http://127.0.0.1:1/b", "--rate", "500", "--connections", "8", "--duration", "3s", "--random"]);

        Assert.Equal(2, options.Urls.Count);
        Assert.Equal(500, options.Rate);
        Assert.Equal(8, options.Connections);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Duration);
        Assert.True(options.Random);
    }

    [Theory]
    [InlineData("--url", "ftp://x/a")]
    [InlineData("--duration", "soon")]
    [InlineData("--connections", "0")]
    [InlineData("--rate", "-1")]
    [InlineData("--bogus", "1")]
    public void ParseHttp_BadOption_UsageErrorNamingIt(string option, string value)
    {
        string[] args = option == "--url" ? [option, value] : ["--url", "http://127.0.0.1:1/a", option, value];

        var error = Assert.Throws<UsageException>(() => Program.ParseHttp(args));

        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParsePlayers_NoMaster_UsageError()
    {
        var error = Assert.Throws<UsageException>(() => Program.ParsePlayers(["--viewers", "3"]));

        Assert.Contains("--master", error.Message, StringComparison.Ordinal);
    }
}
