using Edge.Encoder.Cli;
using Edge.Encoder.Encoding;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Encoder.Tests.Cli;

public class ConsoleProgressTests
{
    [Fact]
    public void TerminalProgress_Report_DrawsBarPercentSpeedAndEta()
    {
        var output = new StringWriter();
        var progress = new TerminalProgress(output, new FakeTimeProvider());

        progress.Report(new EncodeProgress("encode", 0.5, 2.0, TimeSpan.FromSeconds(75)));

        Assert.Equal("\rencode    [###############...............]  50.0%   2.00x ETA 1:15   ", output.ToString());
    }

    [Fact]
    public void JsonProgress_Report_OneLinePerSecondPerPhase()
    {
        var output = new StringWriter();
        var time = new FakeTimeProvider();
        var progress = new JsonProgress(output, time);

        progress.Report(new EncodeProgress("encode", 0.1, 1.5, TimeSpan.FromSeconds(9)));
        progress.Report(new EncodeProgress("encode", 0.2, 1.5, TimeSpan.FromSeconds(8)));
        time.Advance(TimeSpan.FromSeconds(1));
        progress.Report(new EncodeProgress("encode", 0.3, 1.5, TimeSpan.FromSeconds(7)));
        progress.Report(new EncodeProgress("package", 0, null, null));

        Assert.Equal(
            [
                """{"event":"progress","phase":"encode","percent":10,"speed":1.5,"etaSeconds":9}""",
                """{"event":"progress","phase":"encode","percent":30,"speed":1.5,"etaSeconds":7}""",
                """{"event":"progress","phase":"package","percent":0}""",
            ],
            output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));
    }
}
