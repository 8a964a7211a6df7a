using System.Net;
using System.Text.Json;
using Edge.ControlPlane.Steering;

namespace Edge.ControlPlane.Topology;

/// <summary>Checks a topology file and builds the <see cref="NetworkTopology"/> it describes, or says exactly what is wrong.</summary>
public static class TopologyParser
{
    /// <summary>Parses and checks; on failure <paramref name="errors"/> names each problem by its JSON location.</summary>
    public static bool TryParse(string json, out NetworkTopology? topology, out IReadOnlyList<string> errors)
    {
        topology = null;
        TopologyDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(json, TopologyJsonContext.Default.TopologyDocument);
        }
        catch (JsonException ex)
        {
            errors = [$"not valid topology JSON: {ex.Message}"];
            return false;
        }

        if (document is null)
        {
            errors = ["the topology file is empty (null)"];
            return false;
        }

        var problems = new List<string>();
        topology = Build(document, problems);
        errors = problems;
        if (problems.Count > 0)
        {
            topology = null;
            return false;
        }

        return true;
    }

    private static NetworkTopology? Build(TopologyDocument document, List<string> problems)
    {
        if (document.Sites is not { Count: > 0 } siteDocs)
        {
            problems.Add("sites: at least one site is required");
            return null;
        }

        var sites = new List<Site>();
        var sitesById = new Dictionary<string, Site>(StringComparer.Ordinal);
        for (var i = 0; i < siteDocs.Count; i++)
        {
            var doc = siteDocs[i];
            var at = $"sites[{i}]";
            if (!IsValidId(doc.Id))
            {
                problems.Add($"{at}.id: '{doc.Id}' must be 1-64 characters of letters, digits, '.', '-' or '_'");
                continue;
            }

            GeoPoint? location = null;
            if (doc.Location is { } loc)
            {
                if (loc.Lat is not { } lat || loc.Lon is not { } lon || !GeoPoint.IsValid(lat, lon))
                {
                    problems.Add($"{at}.location: lat must be within -90..90 and lon within -180..180 (site '{doc.Id}')");
                }
                else
                {
                    location = new GeoPoint(lat, lon);
                }
            }

            var site = new Site(doc.Id!, sites.Count, location);
            if (!sitesById.TryAdd(site.Id, site))
            {
                problems.Add($"{at}.id: site '{site.Id}' is listed twice");
                continue;
            }

            sites.Add(site);
        }

        var prefixes = new PrefixTable<(Site, string)>();
        for (var i = 0; i < siteDocs.Count; i++)
        {
            var doc = siteDocs[i];
            if (doc.Id is null || !sitesById.TryGetValue(doc.Id, out var site) || site.Index >= sites.Count || sites[site.Index] != site)
            {
                continue;
            }

            var text = doc.Prefixes ?? [];
            for (var p = 0; p < text.Count; p++)
            {
                if (!IPNetwork.TryParse(text[p], out var network) || !HostBitsClear(text[p], network))
                {
                    problems.Add($"sites[{i}].prefixes[{p}]: '{text[p]}' is not a CIDR prefix such as 10.1.0.0/16 or 2001:db8::/32 (host bits must be zero)");
                }
                else if (!prefixes.TryAdd(network, (site, network.ToString()), out var owner))
                {
                    problems.Add($"sites[{i}].prefixes[{p}]: '{text[p]}' is already assigned to site '{owner.Item1.Id}'");
                }
            }

            site.Prefixes = [.. text];
            var fallback = new List<Site>();
            var names = doc.Fallback ?? [];
            for (var f = 0; f < names.Count; f++)
            {
                if (!sitesById.TryGetValue(names[f] ?? "", out var target))
                {
                    problems.Add($"sites[{i}].fallback[{f}]: unknown site '{names[f]}'");
                }
                else if (target == site)
                {
                    problems.Add($"sites[{i}].fallback[{f}]: site '{site.Id}' cannot fall back to itself");
                }
                else if (!fallback.Contains(target))
                {
                    fallback.Add(target);
                }
            }

            site.Fallback = fallback;
        }

        var nodes = new List<EdgeNode>();
        var nodeIds = new HashSet<string>(StringComparer.Ordinal);
        var nodeDocs = document.Nodes ?? [];
        for (var i = 0; i < nodeDocs.Count; i++)
        {
            var doc = nodeDocs[i];
            var at = $"nodes[{i}]";
            var ok = true;
            if (!IsValidId(doc.Id))
            {
                problems.Add($"{at}.id: '{doc.Id}' must be 1-64 characters of letters, digits, '.', '-' or '_'");
                ok = false;
            }
            else if (!nodeIds.Add(doc.Id!))
            {
                problems.Add($"{at}.id: node '{doc.Id}' is listed twice");
                ok = false;
            }

            if (!sitesById.TryGetValue(doc.Site ?? "", out var site))
            {
                problems.Add($"{at}.site: unknown site '{doc.Site}' (node '{doc.Id}')");
                ok = false;
            }

            if (!Uri.TryCreate(doc.Url, UriKind.Absolute, out var url)
                || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
                || url.AbsolutePath != "/" || url.Query.Length > 0 || url.Fragment.Length > 0)
            {
                problems.Add($"{at}.url: '{doc.Url}' must be an absolute http:// or https:// URL with no path, e.g. http://10.1.0.5:8080 (node '{doc.Id}')");
                ok = false;
            }

            if (doc.CapacityBps is not > 0)
            {
                problems.Add($"{at}.capacityBps: must be a positive number of bits per second (node '{doc.Id}')");
                ok = false;
            }

            if (ok)
            {
                nodes.Add(new EdgeNode(doc.Id!, nodes.Count, site!, url!.GetLeftPart(UriPartial.Authority), doc.CapacityBps!.Value));
            }
        }

        Site? defaultSite = sites.Count > 0 ? sites[0] : null;
        if (document.DefaultSite is { } name && !sitesById.TryGetValue(name, out defaultSite))
        {
            problems.Add($"defaultSite: unknown site '{name}'");
        }

        if (problems.Count > 0 || defaultSite is null)
        {
            return null;
        }

        foreach (var site in sites)
        {
            site.Nodes = [.. nodes.Where(n => n.Site == site)];
            site.ByDistance = [.. sites.Where(s => s != site)
                .OrderBy(s => site.Location is { } a && s.Location is { } b ? a.DistanceKm(b) : double.MaxValue)
                .ThenBy(s => s.Index)];
        }

        return new NetworkTopology(sites, nodes, defaultSite, prefixes);
    }

    // An address with host bits set (10.1.2.3/16) is most likely a typo; say so rather than silently masking it.
    private static bool HostBitsClear(string text, IPNetwork network) =>
        IPAddress.TryParse(text.AsSpan(0, text.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? slash : text.Length), out var address)
        && address.Equals(network.BaseAddress);

    private static bool IsValidId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
}
