using System.Numerics;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Pcap;
using static LowLatency.Adapters.Tests.Aeron.Captures;

namespace LowLatency.Adapters.Tests.Aeron;

/// <summary>Frame layouts checked against bytes the real C driver put on the wire and values Wireshark decoded from them.</summary>
public sealed class FrameTests
{
    private static UdpDatagram Packet(string pcap, int number) => Read(pcap).Single(d => d.PacketNumber == number);

    [Fact]
    public void Setup_fields_read_from_the_capture_match_the_dissector_and_rewriting_them_reproduces_the_bytes()
    {
        ReadOnlySpan<byte> setup = Packet("aeron-udp-sample.pcap", 1).Payload.Span;
        Assert.Equal(FrameType.Setup, AeronFrame.Type(setup));
        Assert.Equal(40, AeronFrame.FrameLength(setup));
        Assert.Equal(2019555128, SetupFrame.SessionId(setup));
        Assert.Equal(1001, SetupFrame.StreamId(setup));
        Assert.Equal(unchecked((int)0xdc6255c5), SetupFrame.InitialTermId(setup));
        Assert.Equal(unchecked((int)0xdc6255c5), SetupFrame.ActiveTermId(setup));
        Assert.Equal(65536, SetupFrame.TermLength(setup));
        Assert.Equal(1408, SetupFrame.Mtu(setup));
        Assert.Equal(0, SetupFrame.Ttl(setup));
        Assert.True(SetupFrame.IsValid(setup));

        var ours = new byte[40];
        SetupFrame.Write(ours, 0, 0, 2019555128, 1001, unchecked((int)0xdc6255c5), unchecked((int)0xdc6255c5), 65536, 1408);
        Assert.Equal(setup.ToArray(), ours);
    }

    [Fact]
    public void Status_message_and_heartbeat_writers_reproduce_the_captured_bytes()
    {
        ReadOnlySpan<byte> sm = Packet("aeron-udp-sample.pcap", 6).Payload.Span;
        var ours = new byte[36];
        int n = StatusMessageFrame.Write(ours, 0, 2019555128, 1001, unchecked((int)0xdc6255c5), 0, 32768, 8958738430040802299);
        Assert.Equal(36, n);
        Assert.Equal(sm.ToArray(), ours);
        Assert.False(StatusMessageFrame.TryGetGroupTag(sm, out _));

        ReadOnlySpan<byte> heartbeat = Packet("aeron-udp-sample.pcap", 7).Payload.Span;
        Assert.True(DataFrame.IsHeartbeat(heartbeat));
        var hb = new byte[32];
        DataFrame.WriteHeader(hb, 0, DataFrame.UnfragmentedFlags, FrameType.Data, 0, 2019555128, 1001, unchecked((int)0xdc6255c5));
        Assert.Equal(heartbeat.ToArray(), hb);
    }

    [Fact]
    public void Nak_writer_reproduces_the_captured_nak_35_from_the_loss_capture()
    {
        ReadOnlySpan<byte> nak = Packet("aeron-udp-loss.pcap", 35).Payload.Span;
        Assert.Equal(FrameType.Nak, AeronFrame.Type(nak));
        Assert.Equal(unchecked((int)4292457926u), NakFrame.TermId(nak));
        Assert.Equal(19520, NakFrame.TermOffset(nak));
        Assert.Equal(832, NakFrame.GapLength(nak));
        var ours = new byte[28];
        NakFrame.Write(ours, NakFrame.SessionId(nak), 1001, NakFrame.TermId(nak), 19520, 832);
        Assert.Equal(nak.ToArray(), ours);
    }

    [Fact]
    public void Status_message_with_group_tag_is_44_bytes_and_reads_back()
    {
        var buf = new byte[44];
        Assert.Equal(44, StatusMessageFrame.Write(buf, StatusMessageFrame.EndOfStreamFlag, 7, 8, 9, 64, 4096, -5, 123456789L));
        Assert.True(StatusMessageFrame.TryGetGroupTag(buf, out long tag));
        Assert.Equal(123456789L, tag);
        Assert.Equal(-5, StatusMessageFrame.ReceiverId(buf));
        Assert.Equal(64, StatusMessageFrame.ConsumptionTermOffset(buf));
    }

    [Fact]
    public void Rttm_and_error_frames_round_trip_and_error_validation_follows_1_53()
    {
        var rttm = new byte[40];
        RttmFrame.Write(rttm, RttmFrame.ReplyFlag, 1, 2, 1234567890123, 55, -9);
        Assert.Equal((FrameType.Rttm, (byte)0x80, 40), (AeronFrame.Type(rttm), AeronFrame.Flags(rttm), AeronFrame.FrameLength(rttm)));
        Assert.Equal((1, 2, 1234567890123L, 55L, -9L), (RttmFrame.SessionId(rttm), RttmFrame.StreamId(rttm),
            RttmFrame.EchoTimestamp(rttm), RttmFrame.ReceptionDelta(rttm), RttmFrame.ReceiverId(rttm)));

        var err = new byte[40 + 1100];
        int len = ErrorFrame.Write(err, 3, 4, 5, 6, ErrorFrame.ImageRejectedCode, new byte[1100]);
        Assert.Equal(40 + 1023, len);
        Assert.True(ErrorFrame.IsValid(err.AsSpan(0, len)));
        Assert.Equal(ErrorFrame.GroupTagFlag, AeronFrame.Flags(err));
        AeronFrame.WriteInt32(err, ErrorFrame.ErrorLengthOffset, 1024);
        Assert.False(ErrorFrame.IsValid(err));
        AeronFrame.WriteInt32(err, ErrorFrame.ErrorLengthOffset, -1);
        Assert.False(ErrorFrame.IsValid(err));
    }

    [Fact]
    public void Position_math_matches_a_big_integer_reference_across_term_id_wrap()
    {
        var rng = new Random(1234);
        for (int i = 0; i < 100_000; i++)
        {
            int termLength = 1 << rng.Next(16, 31);
            int bits = LogPosition.PositionBitsToShift(termLength);
            int initialTermId = rng.Next(int.MinValue, int.MaxValue);
            long termCount = rng.NextInt64(0, 1L << (62 - bits));
            int termOffset = rng.Next(0, termLength / 32) * 32;

            // Reference: term ids live modulo 2^32; position = termCount × termLength + offset.
            int termId = (int)(uint)((new BigInteger(initialTermId) + termCount) & uint.MaxValue);
            long expected = (long)(new BigInteger(termCount) * termLength + termOffset);
            if (termCount > int.MaxValue)
            {
                continue; // Positions span at most 2^31 terms: the int32 term-id difference defines them.
            }

            Assert.Equal(expected, LogPosition.Compute(termId, termOffset, bits, initialTermId));
            Assert.Equal(termId, LogPosition.TermId(expected, bits, initialTermId));
            Assert.Equal(termOffset, LogPosition.TermOffset(expected, termLength));
        }
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 32)]
    [InlineData(32, 32)]
    [InlineData(33, 64)]
    [InlineData(167, 192)]
    [InlineData(904, 928)]
    public void Align_rounds_up_to_32(int length, int aligned) => Assert.Equal(aligned, AeronFrame.Align(length));

    [Theory]
    [InlineData(65536, true)]
    [InlineData(1 << 30, true)]
    [InlineData(32768, false)]
    [InlineData(65536 + 32, false)]
    [InlineData(-65536, false)]
    public void Term_length_validation(int termLength, bool valid) => Assert.Equal(valid, LogPosition.IsValidTermLength(termLength));
}
