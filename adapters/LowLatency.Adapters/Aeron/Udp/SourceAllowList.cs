using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LowLatency.Adapters.Aeron.Udp;

/// <summary>
/// An allow-list of datagram source addresses: entries are an IP (<c>10.0.0.5</c>, <c>::1</c>), an IP and port
/// (<c>10.0.0.5:40123</c>, <c>[::1]:40123</c>) or a network in CIDR form (<c>10.0.1.0/24</c>, <c>fd00::/8</c>).
/// <see cref="AeronUdpEndpoint"/> checks it per datagram against the raw socket address, comparing bytes: no allocation.
/// Immutable once built.
/// </summary>
public sealed class SourceAllowList
{
    // sockaddr_in / sockaddr_in6 put the port (big-endian) at offset 2 on every platform .NET runs on; the IPv4 address
    // follows at 4, the IPv6 address at 8 (after the flow info).
    private const int PortOffset = 2;
    private const int V4AddressOffset = 4;
    private const int V6AddressOffset = 8;

    private readonly Entry[] _entries;

    private SourceAllowList(Entry[] entries, IReadOnlyList<string> text)
    {
        _entries = entries;
        Entries = text;
    }

    /// <summary>Loopback only: 127.0.0.0/8 and ::1 (the default for the control channel).</summary>
    public static SourceAllowList Loopback { get; } = Parse(["127.0.0.0/8", "::1"]);

    /// <summary>The entries as written.</summary>
    public IReadOnlyList<string> Entries { get; }

    /// <summary>Parses entries; throws <see cref="FormatException"/> naming the first one that is not an IP, IP:port or CIDR.</summary>
    public static SourceAllowList Parse(IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = new List<Entry>();
        var text = new List<string>();
        foreach (string raw in entries)
        {
            string entry = (raw ?? string.Empty).Trim();
            list.Add(ParseEntry(entry));
            text.Add(entry);
        }

        return new SourceAllowList([.. list], text);
    }

    /// <summary>Whether <paramref name="source"/> is allowed.</summary>
    public bool Allows(IPEndPoint source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Allows(source.Serialize());
    }

    /// <summary>Whether the raw socket address (as a receive call filled it) is allowed. Allocation-free.</summary>
    public bool Allows(SocketAddress source)
    {
        ArgumentNullException.ThrowIfNull(source);
        ReadOnlySpan<byte> raw = source.Buffer.Span[..source.Size];
        bool v6 = raw.Length >= V6AddressOffset + 16 && source.Family == AddressFamily.InterNetworkV6;
        if (!v6 && raw.Length < V4AddressOffset + 4)
        {
            return false;
        }

        int port = (raw[PortOffset] << 8) | raw[PortOffset + 1];
        ReadOnlySpan<byte> address = v6 ? raw.Slice(V6AddressOffset, 16) : raw.Slice(V4AddressOffset, 4);
        foreach (ref readonly Entry e in _entries.AsSpan())
        {
            if (e.Address.Length == address.Length && (e.Port == 0 || e.Port == port) && PrefixMatches(e.Address, address, e.PrefixBits))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    public override string ToString() => Entries.Count == 0 ? "(none)" : string.Join(", ", Entries);

    private static bool PrefixMatches(byte[] network, ReadOnlySpan<byte> address, int bits)
    {
        int whole = bits >> 3;
        if (!address[..whole].SequenceEqual(network.AsSpan(0, whole)))
        {
            return false;
        }

        int rest = bits & 7;
        if (rest == 0)
        {
            return true;
        }

        int mask = (0xFF00 >> rest) & 0xFF;
        return (address[whole] & mask) == (network[whole] & mask);
    }

    private static Entry ParseEntry(string entry)
    {
        if (entry.Length == 0)
        {
            throw new FormatException("an empty source entry; give an IP, IP:port or CIDR network.");
        }

        int slash = entry.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (!TryParseAddress(entry[..slash], out IPAddress? network)
                || !int.TryParse(entry.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int bits))
            {
                throw new FormatException($"'{entry}' is not a CIDR network such as 10.0.1.0/24.");
            }

            byte[] bytes = network.GetAddressBytes();
            if (bits > bytes.Length * 8)
            {
                throw new FormatException($"'{entry}': a /{bits} prefix is longer than the address ({bytes.Length * 8} bits).");
            }

            return new Entry(bytes, bits, 0);
        }

        if (!entry.StartsWith('[') && TryParseAddress(entry, out IPAddress? plain))
        {
            // "::1" and "10.0.0.5" parse as addresses; "10.0.0.5:80" does not, so a port never hides here.
            byte[] bytes = plain.GetAddressBytes();
            return new Entry(bytes, bytes.Length * 8, 0);
        }

        int colon = entry.LastIndexOf(':');
        if (colon > 0 && IPEndPoint.TryParse(entry, out IPEndPoint? endpoint) && endpoint.Port != 0
            && TryParseAddress(entry[..colon].Trim('[', ']'), out _))
        {
            byte[] bytes = endpoint.Address.GetAddressBytes();
            return new Entry(bytes, bytes.Length * 8, endpoint.Port);
        }

        throw new FormatException($"'{entry}' is not an IP address, IP:port (with a port from 1 to 65535) or CIDR network.");
    }

    /// <summary>Parses an address, refusing the legacy short IPv4 forms ("10" for 0.0.0.10) a config typo would produce.</summary>
    private static bool TryParseAddress(string text, [NotNullWhen(true)] out IPAddress? address) =>
        IPAddress.TryParse(text, out address)
        && (address.AddressFamily != AddressFamily.InterNetwork || text.Count(c => c == '.') == 3);

    private readonly record struct Entry(byte[] Address, int PrefixBits, int Port);
}
