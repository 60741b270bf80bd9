using System.Net;
using LowLatency.Adapters.Aeron.Udp;

namespace LowLatency.Adapters.Tests.Aeron;

public sealed class SourceAllowListTests
{
    [Fact]
    public void Addresses_ports_and_networks_match_as_written()
    {
        var list = SourceAllowList.Parse(["10.0.0.5", "10.0.1.0/24", "192.168.7.9:4000", "::1", "[fd00::7]:99", "fd12:3400::/24"]);

        Assert.True(list.Allows(IPEndPoint.Parse("10.0.0.5:1")));
        Assert.True(list.Allows(IPEndPoint.Parse("10.0.0.5:65535")));
        Assert.False(list.Allows(IPEndPoint.Parse("10.0.0.6:1")));
        Assert.True(list.Allows(IPEndPoint.Parse("10.0.1.200:7")));
        Assert.False(list.Allows(IPEndPoint.Parse("10.0.2.1:7")));
        Assert.True(list.Allows(IPEndPoint.Parse("192.168.7.9:4000")));
        Assert.False(list.Allows(IPEndPoint.Parse("192.168.7.9:4001")));
        Assert.True(list.Allows(IPEndPoint.Parse("[::1]:5")));
        Assert.True(list.Allows(IPEndPoint.Parse("[fd00::7]:99")));
        Assert.False(list.Allows(IPEndPoint.Parse("[fd00::7]:98")));
        Assert.True(list.Allows(IPEndPoint.Parse("[fd12:34ff::1]:1")));
        Assert.False(list.Allows(IPEndPoint.Parse("[fd12:3500::1]:1")));
        Assert.False(list.Allows(IPEndPoint.Parse("[::2]:5")));
    }

    [Theory]
    [InlineData("10.0.0.0/8")]
    [InlineData("172.16.0.0/12")]
    [InlineData("192.168.1.128/25")]
    [InlineData("100.64.0.0/10")]
    [InlineData("0.0.0.0/0")]
    [InlineData("203.0.113.7/32")]
    public void A_network_contains_exactly_what_the_framework_ip_network_contains(string cidr)
    {
        var list = SourceAllowList.Parse([cidr]);
        var reference = IPNetwork.Parse(cidr);
        var rng = new Random(cidr.GetHashCode(StringComparison.Ordinal));
        byte[] network = reference.BaseAddress.GetAddressBytes();
        for (int i = 0; i < 20_000; i++)
        {
            // Half the probes near the network (same first bytes), half anywhere.
            byte[] bytes = new byte[4];
            rng.NextBytes(bytes);
            if ((i & 1) == 0)
            {
                Array.Copy(network, bytes, rng.Next(0, 4));
            }

            var address = new IPAddress(bytes);
            Assert.Equal(reference.Contains(address), list.Allows(new IPEndPoint(address, 1 + rng.Next(65535))));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("10.0.0")]
    [InlineData("10.0.0.5:0")]
    [InlineData("10.0.0.5:70000")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/x")]
    [InlineData("gateway.example:4000")]
    [InlineData("::1/129")]
    public void A_malformed_entry_is_refused_with_a_message_naming_it(string entry)
    {
        var ex = Assert.Throws<FormatException>(() => SourceAllowList.Parse(["127.0.0.1", entry]));
        Assert.Contains(entry.Length == 0 ? "empty" : $"'{entry}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loopback_allows_the_whole_127_network_and_ipv6_loopback_only()
    {
        Assert.True(SourceAllowList.Loopback.Allows(IPEndPoint.Parse("127.0.0.1:9")));
        Assert.True(SourceAllowList.Loopback.Allows(IPEndPoint.Parse("127.200.3.4:9")));
        Assert.True(SourceAllowList.Loopback.Allows(IPEndPoint.Parse("[::1]:9")));
        Assert.False(SourceAllowList.Loopback.Allows(IPEndPoint.Parse("128.0.0.1:9")));
        Assert.False(SourceAllowList.Loopback.Allows(IPEndPoint.Parse("10.1.2.3:9")));
        Assert.False(SourceAllowList.Loopback.Allows(IPEndPoint.Parse("[::ffff:127.0.0.1]:9")));
    }
}
