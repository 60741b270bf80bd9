using System.Buffers.Binary;
using LowLatency.Adapters.Pcap;
using static LowLatency.Adapters.Tests.Aeron.Captures;

namespace LowLatency.Adapters.Tests.Aeron;

/// <summary>The pcap reader against the captures, an independently written pcapng conversion, and corrupted input.</summary>
public sealed class PcapReaderTests
{
    [Fact]
    public void Sample_capture_gives_530_udp_datagrams_between_the_two_loopback_ports()
    {
        List<UdpDatagram> all = Read("aeron-udp-sample.pcap");
        Assert.Equal(530, all.Count); // The dump's section A ends at #530.
        Assert.All(all, d => Assert.Equal(UdpEndpoint.IPv4(127, 0, 0, 1, d.Source.Port), d.Source));
        Assert.Equal(43260, all[0].Source.Port);
        Assert.Equal(20121, all[0].Destination.Port);
        Assert.Equal(40, all[0].Payload.Length);
        Assert.Equal(192, all.Single(d => d.PacketNumber == 8).Payload.Length); // 234 bytes on the wire − 42
        Assert.Equal("127.0.0.1:20121", all[0].Destination.ToString());

        // Section A timestamps are relative to #1: #6 is at 0.421011 s.
        Assert.Equal(421_011_000, all[5].TimestampNs - all[0].TimestampNs);
    }

    [Fact]
    public void Rejoin_capture_skips_the_icmp_port_unreachable_packets()
    {
        var reader = PcapReader.Open(PathOf("aeron-udp-rejoin.pcap"));
        int udp = 0;
        while (reader.TryReadNext(out _))
        {
            udp++;
        }

        Assert.Null(reader.Error);
        Assert.True(reader.SkippedNotUdp > 0);
        Assert.Equal(reader.Packets, udp + reader.SkippedNotUdp + reader.SkippedTruncatedOrFragment);
    }

    [Fact]
    public void Pcapng_and_big_endian_conversions_of_a_capture_read_identically()
    {
        byte[] classic = File.ReadAllBytes(PathOf("aeron-udp-frag.pcap"));
        List<UdpDatagram> expected = ReadAll(classic);
        foreach (byte[] variant in new[] { ToPcapng(classic, nanos: false), ToPcapng(classic, nanos: true), ToBigEndian(classic) })
        {
            List<UdpDatagram> actual = ReadAll(variant);
            Assert.Equal(expected.Count, actual.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].TimestampNs, actual[i].TimestampNs);
                Assert.Equal(expected[i].Source, actual[i].Source);
                Assert.Equal(expected[i].Destination, actual[i].Destination);
                Assert.True(expected[i].Payload.Span.SequenceEqual(actual[i].Payload.Span));
            }
        }
    }

    [Fact]
    public void Not_a_capture_is_a_clear_error()
    {
        Assert.Throws<InvalidDataException>(() => new PcapReader(new byte[] { 1, 2, 3 }));
        Assert.Throws<InvalidDataException>(() => new PcapReader(new byte[64]));
    }

    [Fact]
    public void Truncated_and_mutated_captures_never_throw()
    {
        byte[] original = File.ReadAllBytes(PathOf("aeron-udp-rejoin.pcap"));
        var rng = new Random(7);
        for (int round = 0; round < 300; round++)
        {
            byte[] bytes = original.AsSpan(0, rng.Next(24, original.Length)).ToArray();
            for (int m = 0; m < 20; m++)
            {
                bytes[rng.Next(24, bytes.Length)] = (byte)rng.Next(256);
            }

            var reader = new PcapReader(bytes);
            int guard = 0;
            while (reader.TryReadNext(out UdpDatagram d) && guard++ < 100_000)
            {
                Assert.True(d.Payload.Length >= 0);
            }
        }

        byte[] ng = ToPcapng(File.ReadAllBytes(PathOf("aeron-udp-frag.pcap")), nanos: false);
        for (int round = 0; round < 300; round++)
        {
            byte[] bytes = ng.AsSpan(0, rng.Next(12, ng.Length)).ToArray();
            for (int m = 0; m < 10; m++)
            {
                bytes[rng.Next(0, bytes.Length)] = (byte)rng.Next(256);
            }

            try
            {
                var reader = new PcapReader(bytes);
                while (reader.TryReadNext(out _))
                {
                }
            }
            catch (InvalidDataException)
            {
                // A mutated magic is reported as not-a-capture; anything else would fail the test.
            }
        }
    }

    private static List<UdpDatagram> ReadAll(byte[] bytes)
    {
        var reader = new PcapReader(bytes);
        var list = new List<UdpDatagram>();
        while (reader.TryReadNext(out UdpDatagram d))
        {
            list.Add(d);
        }

        Assert.Null(reader.Error);
        return list;
    }

    /// <summary>Classic little-endian µs pcap → pcapng (SHB, IDB with if_tsresol, EPBs), written from the format spec.</summary>
    private static byte[] ToPcapng(byte[] classic, bool nanos)
    {
        var o = new MemoryStream();
        void U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); o.Write(b); }
        void U16(ushort v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); o.Write(b); }
        U32(0x0A0D0D0A); U32(28); U32(0x1A2B3C4D); U16(1); U16(0); U32(0xFFFFFFFF); U32(0xFFFFFFFF); U32(28);
        U32(1); U32(32); U16(1); U16(0); U32(65535); U16(9); U16(1); o.WriteByte((byte)(nanos ? 9 : 6)); o.Write(new byte[3]); U16(0); U16(0); U32(32);
        for (int p = 24; p < classic.Length;)
        {
            uint sec = BinaryPrimitives.ReadUInt32LittleEndian(classic.AsSpan(p));
            uint usec = BinaryPrimitives.ReadUInt32LittleEndian(classic.AsSpan(p + 4));
            int incl = (int)BinaryPrimitives.ReadUInt32LittleEndian(classic.AsSpan(p + 8));
            ulong ts = nanos ? (sec * 1_000_000_000UL) + (usec * 1000UL) : (sec * 1_000_000UL) + usec;
            int padded = (incl + 3) & ~3;
            uint blockLength = (uint)(32 + padded);
            U32(6); U32(blockLength); U32(0); U32((uint)(ts >> 32)); U32((uint)ts); U32((uint)incl); U32((uint)incl);
            o.Write(classic, p + 16, incl); o.Write(new byte[padded - incl]); U32(blockLength);
            p += 16 + incl;
        }

        return o.ToArray();
    }

    private static byte[] ToBigEndian(byte[] classic)
    {
        byte[] b = (byte[])classic.Clone();
        void Swap32(int at) => BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), BinaryPrimitives.ReadUInt32LittleEndian(classic.AsSpan(at)));
        void Swap16(int at) => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), BinaryPrimitives.ReadUInt16LittleEndian(classic.AsSpan(at)));
        Swap32(0); Swap16(4); Swap16(6); Swap32(8); Swap32(12); Swap32(16); Swap32(20);
        for (int p = 24; p < classic.Length;)
        {
            int incl = (int)BinaryPrimitives.ReadUInt32LittleEndian(classic.AsSpan(p + 8));
            Swap32(p); Swap32(p + 4); Swap32(p + 8); Swap32(p + 12);
            p += 16 + incl;
        }

        return b;
    }
}
