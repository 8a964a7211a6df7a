using System.Net;
using Edge.ControlPlane.Topology;

namespace Edge.ControlPlane.Tests.Topology;

public sealed class PrefixTableTests
{
    private static PrefixTable<string> Table(params string[] prefixes)
    {
        var table = new PrefixTable<string>();
        foreach (var prefix in prefixes)
        {
            Assert.True(table.TryAdd(IPNetwork.Parse(prefix), prefix, out _));
        }

        return table;
    }

    [Theory]
    [InlineData("10.1.2.3", "10.1.0.0/16")]
    [InlineData("10.1.200.3", "10.1.128.0/17")]
    [InlineData("10.1.200.77", "10.1.200.77/32")]
    [InlineData("10.2.0.1", "10.0.0.0/8")]
    [InlineData("192.168.1.1", "0.0.0.0/0")]
    [InlineData("::ffff:10.1.2.3", "10.1.0.0/16")]
    [InlineData("2001:db8:1::5", "2001:db8:1::/48")]
    [InlineData("2001:db8:1:ff::5", "2001:db8:1:ff::/64")]
    [InlineData("2001:db8:2::1", "2001:db8::/32")]
    public void TryMatch_SeveralPrefixesHoldAddress_LongestWins(string address, string expected)
    {
        var table = Table("0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.128.0/17", "10.1.200.77/32",
            "2001:db8::/32", "2001:db8:1::/48", "2001:db8:1:ff::/64");

        Assert.True(table.TryMatch(IPAddress.Parse(address), out var prefix, out _));
        Assert.Equal(expected, prefix);
    }

    [Theory]
    [InlineData("11.0.0.1")]
    [InlineData("2001:db9::1")]
    [InlineData("::1")]
    public void TryMatch_NoPrefixHoldsAddress_ReturnsFalse(string address)
    {
        var table = Table("10.0.0.0/8", "2001:db8::/32");

        Assert.False(table.TryMatch(IPAddress.Parse(address), out _, out _));
    }

    [Fact]
    public void TryMatch_IPv4Address_ReportsIPv4PrefixLength()
    {
        var table = Table("10.1.0.0/16");

        Assert.True(table.TryMatch(IPAddress.Parse("10.1.9.9"), out _, out var length));
        Assert.Equal(16, length);
    }

    [Fact]
    public void TryMatch_IPv4PrefixDoesNotCatchIPv6Address()
    {
        // 0.0.0.0/0 covers IPv4 (held as ::ffff:0:0/96), not the whole IPv6 space.
        var table = Table("0.0.0.0/0");

        Assert.False(table.TryMatch(IPAddress.Parse("2001:db8::1"), out _, out _));
        Assert.True(table.TryMatch(IPAddress.Parse("8.8.8.8"), out _, out _));
    }

    [Fact]
    public void TryAdd_SamePrefixTwice_ReturnsFalseWithFirstValue()
    {
        var table = Table("10.0.0.0/8");

        Assert.False(table.TryAdd(IPNetwork.Parse("10.0.0.0/8"), "again", out var existing));
        Assert.Equal("10.0.0.0/8", existing);
    }
}
