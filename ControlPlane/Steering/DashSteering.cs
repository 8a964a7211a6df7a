using System.Xml;
using System.Xml.Linq;

namespace Edge.ControlPlane.Steering;

/// <summary>
/// Rewrites a DASH MPD for DASH-IF Content Steering: one MPD-level <c>BaseURL</c> per pathway (node), each
/// with its <c>serviceLocation</c>, and a <c>ContentSteering</c> element naming the steering server.
/// </summary>
internal static class DashSteering
{
    public static string Rewrite(string mpd, string mpdPath, IReadOnlyList<Pathway> pathways, string serverUri)
    {
        // An MPD never needs a DTD; refusing one rules out entity expansion attacks.
        using var reader = XmlReader.Create(new StringReader(mpd), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        var document = XDocument.Load(reader, LoadOptions.PreserveWhitespace);
        var root = document.Root ?? throw new XmlException("the MPD has no root element");
        if (root.Name.LocalName != "MPD")
        {
            throw new XmlException($"the root element is <{root.Name.LocalName}>, not <MPD>");
        }

        var ns = root.Name.Namespace;
        var existing = root.Elements(ns + "BaseURL").FirstOrDefault()?.Value.Trim();
        root.Elements(ns + "BaseURL").Remove();
        root.Elements(ns + "ContentSteering").Remove();

        var added = new List<XElement>();
        foreach (var pathway in pathways)
        {
            var mpdUrl = new Uri(new Uri(pathway.BaseUrl + "/"), mpdPath.TrimStart('/'));
            var baseUrl = string.IsNullOrEmpty(existing) ? new Uri(mpdUrl, ".") : new Uri(mpdUrl, existing);
            added.Add(new XElement(ns + "BaseURL", new XAttribute("serviceLocation", pathway.Id), baseUrl.AbsoluteUri));
        }

        added.Add(new XElement(ns + "ContentSteering",
            new XAttribute("defaultServiceLocation", pathways[0].Id),
            new XAttribute("queryBeforeStart", "false"),
            serverUri));

        // BaseURL follows ProgramInformation in the schema's order.
        var anchor = root.Elements(ns + "ProgramInformation").LastOrDefault();
        if (anchor is not null)
        {
            anchor.AddAfterSelf(added);
        }
        else
        {
            root.AddFirst(added);
        }

        return document.Declaration is null ? document.ToString(SaveOptions.DisableFormatting) : document.Declaration + document.ToString(SaveOptions.DisableFormatting);
    }
}
