using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Pcap;
using static LowLatency.Adapters.Tests.Aeron.Captures;

namespace LowLatency.Adapters.Tests.Aeron;

/// <summary>
/// Our publication against the real Aeron C 1.53 publisher: given the same ids, the same messages at the same times and
/// the real receiver's status messages and NAKs, it must put the same bytes on the wire.
/// </summary>
public sealed class PublicationCaptureTests
{
    [Fact]
    public void Sample_capture_every_data_datagram_matches_the_real_publishers_byte_for_byte()
    {
        var replay = new PublisherReplay("aeron-udp-sample.pcap");
        replay.Run();

        Assert.Equal(2000, replay.MessageCount);
        Assert.True(replay.RealFirstTransmissions.Count > 300);
        Assert.Equal(replay.RealFirstTransmissions.Count, replay.OurFirstTransmissions.Count);
        for (int i = 0; i < replay.RealFirstTransmissions.Count; i++)
        {
            Assert.True(replay.RealFirstTransmissions[i].AsSpan().SequenceEqual(replay.OurFirstTransmissions[i]), $"data datagram {i} differs");
        }

        // The term rollovers (#87 ends with a PAD header, #319 is one) are among them; both terms' PADs were written.
        Assert.True(replay.Publication.Counters.PadFrames >= 2);
        Assert.Contains(replay.OurFirstTransmissions, d => d.Length == 32 && AeronFrame.Type(d) == FrameType.Pad);
        Assert.Empty(replay.OurRetransmissions);
        Assert.Equal(0, replay.Publication.Counters.TotalRejected);
    }

    [Fact]
    public void Sample_capture_setup_first_heartbeat_and_eos_heartbeat_match_the_real_frames()
    {
        var replay = new PublisherReplay("aeron-udp-sample.pcap");
        replay.Run();
        List<UdpDatagram> toReceiver = ToReceiver("aeron-udp-sample.pcap");

        // SETUP: every field (ids, term length, mtu, ttl, position 0) as the real driver wrote it.
        byte[] ourSetup = replay.Sent.First(s => AeronFrame.Type(s.Datagram) == FrameType.Setup).Datagram;
        Assert.Equal(toReceiver[0].Payload.ToArray(), ourSetup);
        int realSetups = toReceiver.Count(d => AeronFrame.Type(d.Payload.Span) == FrameType.Setup);
        Assert.Equal(realSetups, replay.Sent.Count(s => AeronFrame.Type(s.Datagram) == FrameType.Setup));

        // The heartbeat sent at once after the first SM (#7), before any data.
        UdpDatagram realFirstHeartbeat = toReceiver.First(d => DataFrame.IsHeartbeat(d.Payload.Span));
        byte[] ourFirstHeartbeat = replay.Sent.First(s => DataFrame.IsHeartbeat(s.Datagram)).Datagram;
        Assert.Equal(7, realFirstHeartbeat.PacketNumber);
        Assert.Equal(realFirstHeartbeat.Payload.ToArray(), ourFirstHeartbeat);

        // After close: EOS heartbeats (0xE0) at the final position, like #516.
        UdpDatagram realEos = toReceiver.First(d => DataFrame.IsHeartbeat(d.Payload.Span) && AeronFrame.Flags(d.Payload.Span) == 0xE0);
        byte[] ourEos = replay.Sent.First(s => DataFrame.IsHeartbeat(s.Datagram) && AeronFrame.Flags(s.Datagram) == 0xE0).Datagram;
        Assert.Equal(516, realEos.PacketNumber);
        Assert.Equal(realEos.Payload.ToArray(), ourEos);

        // The real receiver's EOS SM (#521) ends our linger, as it ended the real publisher's.
        Assert.True(replay.Publication.IsFinished);
        Assert.Equal(replay.Publication.Position, replay.Publication.SenderPosition);
    }

    [Fact]
    public void Frag_capture_5000_byte_messages_fragment_exactly_like_the_real_publisher()
    {
        var replay = new PublisherReplay("aeron-udp-frag.pcap");
        replay.Run();

        Assert.Equal(20, replay.MessageCount);
        Assert.Equal(replay.RealFirstTransmissions.Count, replay.OurFirstTransmissions.Count);
        for (int i = 0; i < replay.RealFirstTransmissions.Count; i++)
        {
            Assert.True(replay.RealFirstTransmissions[i].AsSpan().SequenceEqual(replay.OurFirstTransmissions[i]), $"datagram {i} differs");
        }

        // 1408 + 1408 + 1408 + 904 byte frames; flags BEGIN, 0, 0, END.
        byte[][] firstMessage = replay.OurFirstTransmissions.Take(4).ToArray();
        Assert.Equal(new[] { 1408, 1408, 1408, 904 }, firstMessage.Select(d => AeronFrame.FrameLength(d)));
        Assert.Equal(new byte[] { 0x80, 0x00, 0x00, 0x40 }, firstMessage.Select(d => AeronFrame.Flags(d)));
    }

    [Fact]
    public void Loss_capture_naks_are_answered_with_the_same_retransmissions_as_the_real_publisher()
    {
        var replay = new PublisherReplay("aeron-udp-loss.pcap");
        replay.Run();

        Assert.Equal(replay.RealFirstTransmissions.Count, replay.OurFirstTransmissions.Count);
        for (int i = 0; i < replay.RealFirstTransmissions.Count; i++)
        {
            Assert.True(replay.RealFirstTransmissions[i].AsSpan().SequenceEqual(replay.OurFirstTransmissions[i]), $"datagram {i} differs");
        }

        Assert.True(replay.RealRetransmissions.Count > 50);
        Assert.Equal(replay.RealRetransmissions.Count, replay.OurRetransmissions.Count);
        for (int i = 0; i < replay.RealRetransmissions.Count; i++)
        {
            Assert.True(replay.RealRetransmissions[i].AsSpan().SequenceEqual(replay.OurRetransmissions[i]), $"retransmission {i} differs");
        }
    }

    [Fact]
    public void Rejoin_capture_setup_request_is_answered_with_a_setup_at_the_current_position_like_the_real_one()
    {
        var replay = new PublisherReplay("aeron-udp-rejoin.pcap");
        replay.Run();
        UdpDatagram realSetup = replay.All.Single(d => d.PacketNumber == 850);
        UdpDatagram request = replay.All.Single(d => d.PacketNumber == 849);
        Assert.Equal(StatusMessageFrame.SendSetupFlag, AeronFrame.Flags(request.Payload.Span));

        byte[] ours = replay.Sent.First(s => s.TimeNs >= request.TimestampNs && AeronFrame.Type(s.Datagram) == FrameType.Setup).Datagram;
        Assert.Equal(realSetup.Payload.ToArray(), ours);
        Assert.NotEqual(0, SetupFrame.TermOffset(ours));
        Assert.Equal(replay.RealFirstTransmissions.Count, replay.OurFirstTransmissions.Count);
    }
}
