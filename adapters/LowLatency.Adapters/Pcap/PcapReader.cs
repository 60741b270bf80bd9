using System.Buffers.Binary;

namespace LowLatency.Adapters.Pcap;

/// <summary>
/// Reads UDP datagrams from a capture held in memory: classic libpcap (either byte order, µs or ns timestamps) and
/// pcapng (section header, interface description, enhanced and simple packet blocks). Link types: Ethernet (with
/// 802.1Q/802.1ad tags), BSD loopback, raw IP, Linux cooked (SLL, SLL2). IPv4 and IPv6 (no extension headers).
/// Fragmented IP packets, non-UDP traffic and truncated packets are skipped and counted. Corrupt input never throws
/// from <see cref="TryReadNext"/>: reading stops and <see cref="Error"/> says why.
/// </summary>
public sealed class PcapReader
{
    private const uint PcapMagicMicros = 0xA1B2C3D4;
    private const uint PcapMagicNanos = 0xA1B23C4D;
    private const uint PcapngSectionHeader = 0x0A0D0D0A;
    private const uint PcapngByteOrderMagic = 0x1A2B3C4D;
    private const int ClassicGlobalHeaderLength = 24;
    private const int ClassicRecordHeaderLength = 16;
    private const int MaxInterfaces = 64;

    private const int LinkNull = 0;
    private const int LinkEthernet = 1;
    private const int LinkRaw = 101;
    private const int LinkLinuxSll = 113;
    private const int LinkIPv4 = 228;
    private const int LinkIPv6 = 229;
    private const int LinkLinuxSll2 = 276;

    private readonly ReadOnlyMemory<byte> _file;
    private readonly bool _pcapng;
    private bool _bigEndian;
    private readonly int _classicLinkType;
    private readonly long _classicTicksToNs;
    private readonly int[] _ifLinkType = new int[MaxInterfaces];
    private readonly long[] _ifTicksPerSecond = new long[MaxInterfaces];
    private int _ifCount;
    private int _offset;
    private int _packetNumber;

    /// <summary>Opens a capture already in memory. Throws <see cref="InvalidDataException"/> if it is neither pcap nor pcapng.</summary>
    public PcapReader(ReadOnlyMemory<byte> file)
    {
        _file = file;
        ReadOnlySpan<byte> s = file.Span;
        if (s.Length < 4)
        {
            throw new InvalidDataException("Capture too short for a pcap or pcapng header.");
        }

        uint magicLe = BinaryPrimitives.ReadUInt32LittleEndian(s);
        uint magicBe = BinaryPrimitives.ReadUInt32BigEndian(s);
        if (magicLe == PcapngSectionHeader)
        {
            _pcapng = true;
            return;
        }

        if (s.Length < ClassicGlobalHeaderLength)
        {
            throw new InvalidDataException("Capture too short for a pcap global header.");
        }

        if (magicLe is PcapMagicMicros or PcapMagicNanos)
        {
            _bigEndian = false;
            _classicTicksToNs = magicLe == PcapMagicNanos ? 1 : 1000;
        }
        else if (magicBe is PcapMagicMicros or PcapMagicNanos)
        {
            _bigEndian = true;
            _classicTicksToNs = magicBe == PcapMagicNanos ? 1 : 1000;
        }
        else
        {
            throw new InvalidDataException($"Not a pcap/pcapng capture (magic 0x{magicLe:X8}).");
        }

        _classicLinkType = (int)(U32(s, 20) & 0x0FFFFFFF);
        _offset = ClassicGlobalHeaderLength;
    }

    /// <summary>Reads a capture file fully into memory and opens it.</summary>
    public static PcapReader Open(string path) => new(File.ReadAllBytes(path));

    /// <summary>Why reading stopped early, or null if the capture was well formed so far.</summary>
    public string? Error { get; private set; }

    /// <summary>Packets (records) read so far.</summary>
    public int Packets => _packetNumber;

    /// <summary>Packets skipped because they were not UDP over IPv4/IPv6, or the link type is unsupported.</summary>
    public int SkippedNotUdp { get; private set; }

    /// <summary>Packets skipped because they were IP fragments or truncated by the capture's snap length.</summary>
    public int SkippedTruncatedOrFragment { get; private set; }

    /// <summary>Reads the next UDP datagram; false at the end of the capture or on corrupt input (see <see cref="Error"/>).</summary>
    public bool TryReadNext(out UdpDatagram datagram)
    {
        while (Error is null)
        {
            bool more = _pcapng ? TryNextPcapngPacket(out int linkType, out long ts, out int start, out int length)
                                : TryNextClassicPacket(out linkType, out ts, out start, out length);
            if (!more)
            {
                break;
            }

            _packetNumber++;
            if (TryDecodeUdp(linkType, start, length, out UdpEndpoint src, out UdpEndpoint dst, out int payloadStart, out int payloadLength))
            {
                datagram = new UdpDatagram(ts, src, dst, _file.Slice(payloadStart, payloadLength), _packetNumber);
                return true;
            }
        }

        datagram = default;
        return false;
    }

    private uint U32(ReadOnlySpan<byte> s, int offset) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s.Slice(offset)) : BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(offset));

    private ushort U16(ReadOnlySpan<byte> s, int offset) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s.Slice(offset)) : BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(offset));

    private bool TryNextClassicPacket(out int linkType, out long timestampNs, out int start, out int length)
    {
        ReadOnlySpan<byte> s = _file.Span;
        linkType = _classicLinkType;
        timestampNs = 0;
        start = 0;
        length = 0;
        if (_offset == s.Length)
        {
            return false;
        }

        if (s.Length - _offset < ClassicRecordHeaderLength)
        {
            Error = $"Truncated record header at byte {_offset}.";
            return false;
        }

        uint seconds = U32(s, _offset);
        uint fraction = U32(s, _offset + 4);
        uint included = U32(s, _offset + 8);
        if (included > (uint)(s.Length - _offset - ClassicRecordHeaderLength))
        {
            Error = $"Record at byte {_offset} claims {included} bytes, beyond the end of the capture.";
            return false;
        }

        timestampNs = (seconds * 1_000_000_000L) + (fraction * _classicTicksToNs);
        start = _offset + ClassicRecordHeaderLength;
        length = (int)included;
        _offset = start + length;
        return true;
    }

    private bool TryNextPcapngPacket(out int linkType, out long timestampNs, out int start, out int length)
    {
        ReadOnlySpan<byte> s = _file.Span;
        linkType = 0;
        timestampNs = 0;
        start = 0;
        length = 0;
        while (true)
        {
            if (_offset == s.Length)
            {
                return false;
            }

            if (s.Length - _offset < 12)
            {
                Error = $"Truncated pcapng block at byte {_offset}.";
                return false;
            }

            uint blockType = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(_offset));
            if (blockType == PcapngSectionHeader)
            {
                // The section header decides the byte order of everything up to the next section header.
                uint bom = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(_offset + 8));
                if (bom == PcapngByteOrderMagic)
                {
                    _bigEndian = false;
                }
                else if (BinaryPrimitives.ReverseEndianness(bom) == PcapngByteOrderMagic)
                {
                    _bigEndian = true;
                }
                else
                {
                    Error = $"Bad pcapng byte-order magic at byte {_offset}.";
                    return false;
                }

                _ifCount = 0;
            }
            else if (_bigEndian)
            {
                blockType = BinaryPrimitives.ReverseEndianness(blockType);
            }

            uint blockLength = U32(s, _offset + 4);
            if (blockLength < 12 || (blockLength & 3) != 0 || blockLength > (uint)(s.Length - _offset))
            {
                Error = $"Bad pcapng block length {blockLength} at byte {_offset}.";
                return false;
            }

            int body = _offset + 8;
            int bodyLength = (int)blockLength - 12;
            _offset += (int)blockLength;
            switch (blockType)
            {
                case 1: // Interface description: link type, snap length, options (if_tsresol).
                    if (bodyLength < 8 || _ifCount == MaxInterfaces)
                    {
                        Error = "Bad or too many pcapng interface descriptions.";
                        return false;
                    }

                    _ifLinkType[_ifCount] = U16(s, body);
                    _ifTicksPerSecond[_ifCount] = ReadTsResolution(s.Slice(body + 8, bodyLength - 8));
                    _ifCount++;
                    break;

                case 6: // Enhanced packet.
                {
                    if (bodyLength < 20)
                    {
                        Error = "Truncated pcapng enhanced packet block.";
                        return false;
                    }

                    uint ifId = U32(s, body);
                    ulong ticks = ((ulong)U32(s, body + 4) << 32) | U32(s, body + 8);
                    uint captured = U32(s, body + 12);
                    if (ifId >= (uint)_ifCount || captured > (uint)(bodyLength - 20))
                    {
                        Error = "Bad pcapng enhanced packet block (interface or length).";
                        return false;
                    }

                    linkType = _ifLinkType[ifId];
                    timestampNs = TicksToNs(ticks, _ifTicksPerSecond[ifId]);
                    start = body + 20;
                    length = (int)captured;
                    return true;
                }

                case 3: // Simple packet: no timestamp; interface 0.
                {
                    if (bodyLength < 4 || _ifCount == 0)
                    {
                        Error = "Bad pcapng simple packet block.";
                        return false;
                    }

                    uint original = U32(s, body);
                    linkType = _ifLinkType[0];
                    start = body + 4;
                    length = (int)Math.Min(original, (uint)(bodyLength - 4));
                    return true;
                }

                default:
                    break; // Statistics, name resolution, custom blocks: not packets.
            }
        }
    }

    private long ReadTsResolution(ReadOnlySpan<byte> options)
    {
        int o = 0;
        while (options.Length - o >= 4)
        {
            int code = U16(options, o);
            int len = U16(options, o + 2);
            if (code == 0 || options.Length - o - 4 < len)
            {
                break;
            }

            if (code == 9 && len >= 1)
            {
                byte r = options[o + 4];
                int exponent = r & 0x7F;
                if ((r & 0x80) == 0)
                {
                    return exponent <= 18 ? Pow(10, exponent) : 0;
                }

                return exponent <= 62 ? 1L << exponent : 0;
            }

            o += 4 + ((len + 3) & ~3);
        }

        return 1_000_000;
    }

    private static long Pow(long b, int e)
    {
        long r = 1;
        for (int i = 0; i < e; i++)
        {
            r *= b;
        }

        return r;
    }

    private static long TicksToNs(ulong ticks, long ticksPerSecond)
    {
        if (ticksPerSecond <= 0)
        {
            return 0;
        }

        ulong tps = (ulong)ticksPerSecond;
        ulong seconds = ticks / tps;
        ulong rest = ticks % tps;
        return unchecked((long)((seconds * 1_000_000_000UL) + (ulong)((UInt128)rest * 1_000_000_000UL / tps)));
    }

    private bool TryDecodeUdp(
        int linkType, int start, int length,
        out UdpEndpoint source, out UdpEndpoint destination, out int payloadStart, out int payloadLength)
    {
        source = default;
        destination = default;
        payloadStart = 0;
        payloadLength = 0;
        ReadOnlySpan<byte> p = _file.Span.Slice(start, length);
        int ipOffset;
        int etherType;
        switch (linkType)
        {
            case LinkEthernet:
            {
                if (p.Length < 14)
                {
                    return SkipNotUdp();
                }

                etherType = BinaryPrimitives.ReadUInt16BigEndian(p.Slice(12));
                ipOffset = 14;
                while (etherType is 0x8100 or 0x88A8 && p.Length >= ipOffset + 4)
                {
                    etherType = BinaryPrimitives.ReadUInt16BigEndian(p.Slice(ipOffset + 2));
                    ipOffset += 4;
                }

                break;
            }

            case LinkNull:
            {
                if (p.Length < 4)
                {
                    return SkipNotUdp();
                }

                // The family is in the capturing host's byte order; 2 is AF_INET, 24/28/30 are AF_INET6 on BSDs/macOS.
                uint family = BinaryPrimitives.ReadUInt32LittleEndian(p);
                if (family > 0xFFFF)
                {
                    family = BinaryPrimitives.ReverseEndianness(family);
                }

                etherType = family == 2 ? 0x0800 : family is 10 or 24 or 28 or 30 ? 0x86DD : 0;
                ipOffset = 4;
                break;
            }

            case LinkRaw:
            case LinkIPv4:
            case LinkIPv6:
                etherType = p.Length > 0 && (p[0] >> 4) == 6 ? 0x86DD : 0x0800;
                ipOffset = 0;
                break;

            case LinkLinuxSll:
                if (p.Length < 16)
                {
                    return SkipNotUdp();
                }

                etherType = BinaryPrimitives.ReadUInt16BigEndian(p.Slice(14));
                ipOffset = 16;
                break;

            case LinkLinuxSll2:
                if (p.Length < 20)
                {
                    return SkipNotUdp();
                }

                etherType = BinaryPrimitives.ReadUInt16BigEndian(p);
                ipOffset = 20;
                break;

            default:
                return SkipNotUdp();
        }

        ReadOnlySpan<byte> ip = p.Slice(Math.Min(ipOffset, p.Length));
        int udpOffset;
        int ipPayloadEnd;
        if (etherType == 0x0800)
        {
            if (ip.Length < 20 || (ip[0] >> 4) != 4)
            {
                return SkipNotUdp();
            }

            int headerLength = (ip[0] & 0x0F) * 4;
            int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(2));
            if (headerLength < 20 || ip[9] != 17)
            {
                return SkipNotUdp();
            }

            ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(6));
            if ((fragment & 0x3FFF) != 0 || totalLength < headerLength || totalLength > ip.Length)
            {
                return SkipTruncated(); // More-fragments flag or a fragment offset, or cut by the snap length.
            }

            source = new UdpEndpoint(BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(12)), false, 0);
            destination = new UdpEndpoint(BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(16)), false, 0);
            udpOffset = headerLength;
            ipPayloadEnd = totalLength;
        }
        else if (etherType == 0x86DD)
        {
            if (ip.Length < 40 || (ip[0] >> 4) != 6 || ip[6] != 17)
            {
                return SkipNotUdp();
            }

            int payload = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(4));
            if (40 + payload > ip.Length)
            {
                return SkipTruncated();
            }

            source = new UdpEndpoint(BinaryPrimitives.ReadUInt128BigEndian(ip.Slice(8)), true, 0);
            destination = new UdpEndpoint(BinaryPrimitives.ReadUInt128BigEndian(ip.Slice(24)), true, 0);
            udpOffset = 40;
            ipPayloadEnd = 40 + payload;
        }
        else
        {
            return SkipNotUdp();
        }

        if (ipPayloadEnd - udpOffset < 8)
        {
            return SkipTruncated();
        }

        ReadOnlySpan<byte> udp = ip.Slice(udpOffset, ipPayloadEnd - udpOffset);
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(4));
        if (udpLength < 8 || udpLength > udp.Length)
        {
            return SkipTruncated();
        }

        source = source with { Port = BinaryPrimitives.ReadUInt16BigEndian(udp) };
        destination = destination with { Port = BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(2)) };
        payloadStart = start + Math.Min(ipOffset, p.Length) + udpOffset + 8;
        payloadLength = udpLength - 8;
        return true;
    }

    private bool SkipNotUdp()
    {
        SkippedNotUdp++;
        return false;
    }

    private bool SkipTruncated()
    {
        SkippedTruncatedOrFragment++;
        return false;
    }
}
