using System.Xml;
using System.Xml.Linq;
using Edge.ControlPlane.Steering;

namespace Edge.ControlPlane.Tests.Steering;

public sealed class DashSteeringTests
{
    private const string Mpd = """
        <?xml version="1.0" encoding="utf-8"?>
        <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT6S" profiles="urn:mpeg:dash:profile:isoff-live:2011">
          <ProgramInformation><Title>sample</Title></ProgramInformation>
          <BaseURL>media/</BaseURL>
          <Period id="0">
            <AdaptationSet contentType="video"><Representation id="0" bandwidth="800000"><SegmentTemplate initialization="init-$RepresentationID$.m4s" media="chunk-$RepresentationID$-$Number$.m4s" startNumber="1" duration="2" timescale="1"/></Representation></AdaptationSet>
          </Period>
        </MPD>
        """;

    private static readonly XNamespace Dash = "urn:mpeg:dash:schema:mpd:2011";

    [Fact]
    public void Rewrite_TwoPathways_BaseUrlPerServiceLocationAndContentSteering()
    {
        var output = DashSteering.Rewrite(Mpd, "/sample/manifest.mpd",
            [new Pathway("ams-1", "http://127.0.0.1:9001"), new Pathway("fra-1", "http://127.0.0.1:9003")], "http://cp:8090/v1/steering/dash?path=%2Fsample%2Fmanifest.mpd");

        var root = XDocument.Parse(output).Root!;
        var bases = root.Elements(Dash + "BaseURL").ToList();
        Assert.Equal(["ams-1", "fra-1"], bases.Select(b => (string)b.Attribute("serviceLocation")!));
        Assert.Equal(["http://127.0.0.1:9001/sample/media/", "http://127.0.0.1:9003/sample/media/"], bases.Select(b => b.Value));
        var steering = Assert.Single(root.Elements(Dash + "ContentSteering"));
        Assert.Equal("ams-1", (string)steering.Attribute("defaultServiceLocation")!);
        Assert.Equal("http://cp:8090/v1/steering/dash?path=%2Fsample%2Fmanifest.mpd", steering.Value);
        Assert.Equal("ProgramInformation", root.Elements().First().Name.LocalName);
        Assert.Single(root.Elements(Dash + "Period"));
    }

    [Fact]
    public void Rewrite_NoBaseUrl_UsesManifestDirectory()
    {
        var output = DashSteering.Rewrite(Mpd.Replace("<BaseURL>media/</BaseURL>", "", StringComparison.Ordinal), "/t/dash/manifest.mpd", [new Pathway("a", "http://h:1")], "http://cp/s");

        Assert.Equal("http://h:1/t/dash/", XDocument.Parse(output).Root!.Element(Dash + "BaseURL")!.Value);
    }

    [Theory]
    [InlineData("<html/>")]
    [InlineData("not xml")]
    [InlineData("<!DOCTYPE MPD [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><MPD>&x;</MPD>")]
    public void Rewrite_NotAnMpd_Throws(string text) =>
        Assert.ThrowsAny<XmlException>(() => DashSteering.Rewrite(text, "/t/m.mpd", [new Pathway("a", "http://h:1")], "http://cp/s"));
}
