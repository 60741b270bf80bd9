using System.Net;
using System.Net.Sockets;

namespace LowLatency.Adapters.Pcap;

/// <summary>
/// An IPv4 or IPv6 address and UDP port as read from a capture, held by value so reading a capture allocates nothing.
/// IPv4 addresses occupy the low 32 bits of <see cref="Address"/> in network byte order as a big-endian number
/// (127.0.0.1 = 0x7F000001).
/// </summary>
public readonly record struct UdpEndpoint(UInt128 Address, bool IsIPv6, ushort Port)
{
    /// <summary>An IPv4 endpoint from four octets.</summary>
    public static UdpEndpoint IPv4(byte a, byte b, byte c, byte d, ushort port) =>
        new((UInt128)(((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | d), false, port);

    /// <summary>Converts to a <see cref="IPEndPoint"/> (allocates; for lifecycle code and diagnostics).</summary>
    public IPEndPoint ToIPEndPoint()
    {
        if (!IsIPv6)
        {
            uint v = (uint)Address;
            return new IPEndPoint(new IPAddress(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v }), Port);
        }

        var bytes = new byte[16];
        for (int i = 0; i < 16; i++)
        {
            bytes[i] = (byte)(Address >> (8 * (15 - i)));
        }

        return new IPEndPoint(new IPAddress(bytes), Port);
    }

    /// <summary>The address family.</summary>
    public AddressFamily Family => IsIPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

    /// <inheritdoc/>
    public override string ToString() => ToIPEndPoint().ToString();
}
