using System.Buffers.Binary;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Pcap;
using static LowLatency.Adapters.Tests.Aeron.Captures;

namespace LowLatency.Adapters.Tests.Aeron;

/// <summary>Receiver behaviour on hand-built streams (TestStream is written independently of the engine's sender).</summary>
public sealed class ReceiverTests
{
    private const int Session = 123456;
    private const int Stream = 77;
    private static readonly UdpEndpoint Sender = UdpEndpoint.IPv4(127, 0, 0, 1, 40000);

    private static (Replay Replay, TestStream Stream) Start(int termLength = 65536, int initialTermId = -5, AeronReceiverOptions? options = null)
    {
        var s = new TestStream(Session, Stream, initialTermId, termLength);
        var r = new Replay(options ?? new AeronReceiverOptions { ReceiverId = 9, StreamIds = new[] { Stream } });
        r.Feed(s.Setup(), Sender, 0);
        return (r, s);
    }

    [Fact]
    public void Setup_creates_an_image_and_the_first_status_message_goes_out_at_once()
    {
        var (r, s) = Start();
        Assert.Equal(1, r.Receiver.ImageCount);
        SentFrame sm = Assert.Single(r.Sent);
        Assert.Equal(FrameType.StatusMessage, sm.Type);
        Assert.Equal(Sender, sm.Destination);
        Assert.Equal((Session, Stream, -5, 0, 32768, 9L), (StatusMessageFrame.SessionId(sm.Frame), StatusMessageFrame.StreamId(sm.Frame),
            StatusMessageFrame.ConsumptionTermId(sm.Frame), StatusMessageFrame.ConsumptionTermOffset(sm.Frame),
            StatusMessageFrame.ReceiverWindow(sm.Frame), StatusMessageFrame.ReceiverId(sm.Frame)));

        // A 16 MiB term gets the 128 KiB default window.
        var (r2, _) = Start(termLength: 16 * 1024 * 1024);
        Assert.Equal(131072, StatusMessageFrame.ReceiverWindow(r2.Sent[0].Frame));
    }

    [Fact]
    public void A_gap_is_naked_after_the_delay_with_its_exact_range_retried_and_filled_by_the_retransmission()
    {
        var options = new AeronReceiverOptions { ReceiverId = 9, NakDelayNs = 1000, NakRetryDelayNs = 10_000_000 };
        var (r, s) = Start(options: options);
        for (int i = 0; i < 6; i++)
        {
            s.Append(TestStream.Message(i, 100)); // 132 → 160 bytes each
        }

        r.Feed(s.Datagram(0, 2), Sender, 10);
        r.Feed(s.Datagram(4, 6), Sender, 20); // frames 2, 3 lost: gap [320, 640)
        Assert.Equal(2, r.Messages.Count);
        Assert.DoesNotContain(r.Sent, f => f.Type == FrameType.Nak);

        r.Tick(1020);
        SentFrame nak = Assert.Single(r.Sent, f => f.Type == FrameType.Nak);
        Assert.Equal((Session, Stream, -5, 320, 320), (NakFrame.SessionId(nak.Frame), NakFrame.StreamId(nak.Frame),
            NakFrame.TermId(nak.Frame), NakFrame.TermOffset(nak.Frame), NakFrame.GapLength(nak.Frame)));

        r.Tick(5_000_000);
        Assert.Single(r.Sent, f => f.Type == FrameType.Nak);
        r.Tick(10_001_020);
        Assert.Equal(2, r.Sent.Count(f => f.Type == FrameType.Nak));

        // Retransmission batched differently from the original (frames 2..5): fills the gap, duplicates ignored.
        r.Feed(s.Datagram(2, 6), Sender, 10_002_000);
        Assert.Equal(Enumerable.Range(0, 6), r.Messages.Select(m => BinaryPrimitives.ReadInt32LittleEndian(m.Payload)));
        Assert.Equal(2, r.Receiver.Counters.DuplicateFrames);
        r.Tick(30_000_000);
        Assert.Equal(2, r.Sent.Count(f => f.Type == FrameType.Nak));
    }

    [Fact]
    public void Tail_loss_is_found_from_the_heartbeat_position()
    {
        var (r, s) = Start();
        s.Append(TestStream.Message(0, 100));
        s.Append(TestStream.Message(1, 100));
        r.Feed(s.Datagram(0), Sender, 10);
        r.Feed(s.Heartbeat(s.Position), Sender, 20);
        r.Tick(2000);
        SentFrame nak = Assert.Single(r.Sent, f => f.Type == FrameType.Nak);
        Assert.Equal((160, 160), (NakFrame.TermOffset(nak.Frame), NakFrame.GapLength(nak.Frame)));
    }

    [Fact]
    public void Duplicates_before_and_after_consumption_are_ignored_and_never_redelivered()
    {
        var (r, s) = Start();
        for (int i = 0; i < 3; i++)
        {
            s.Append(TestStream.Message(i, 50));
        }

        byte[] d = s.Datagram(0, 3);
        r.Feed(d, Sender, 1);
        r.Feed(d, Sender, 2);
        r.Feed(s.Datagram(1), Sender, 3);
        Assert.Equal(3, r.Messages.Count);
        Assert.Equal(4, r.Receiver.Counters.DuplicateFrames);
    }

    [Fact]
    public void Fragments_arriving_out_of_order_reassemble_into_the_original_message()
    {
        var (r, s) = Start();
        byte[] big = TestStream.Message(42, 5000);
        List<int> frames = s.Append(big);
        Assert.Equal(4, frames.Count);
        foreach (int i in new[] { 3, 1, 0, 2 })
        {
            r.Feed(s.Datagram(i), Sender, 10 + i);
        }

        ReceivedMessage m = Assert.Single(r.Messages);
        Assert.Equal(big, m.Payload);
        Assert.Equal(s.Position, m.Position);
    }

    [Fact]
    public void Pad_and_term_rollover_across_several_terms_with_an_initial_term_id_about_to_wrap()
    {
        var (r, s) = Start(initialTermId: int.MaxValue - 1);
        var rng = new Random(5);
        var sent = new List<byte[]>();
        for (int i = 0; i < 3000; i++)
        {
            byte[] m = TestStream.Message(i, rng.Next(0, 3000));
            sent.Add(m);
            s.Append(m);
        }

        // One frame per datagram, each fed in order, with SMs keeping the window open.
        long t = 1;
        for (int i = 0; i < s.Frames.Count; i++)
        {
            r.Feed(s.Datagram(i), Sender, t++);
        }

        Assert.True(s.Position > 4L * 65536);
        Assert.Equal(sent, r.Messages.Select(m => m.Payload));
        Assert.True(r.Receiver.Counters.PadFrames >= 3);
        Assert.Equal(0, r.Receiver.Counters.TotalRejected);
    }

    [Fact]
    public void Data_beyond_half_a_term_past_the_last_status_message_is_an_overrun()
    {
        var (r, s) = Start();
        for (int i = 0; i < 300; i++)
        {
            s.Append(TestStream.Message(i, 200));
        }

        int beyond = s.Frames.Select((f, i) => (f, i)).First(x => x.f.Position + x.f.Frame.Length > 32768).i;
        r.Feed(s.Datagram(beyond), Sender, 5);
        Assert.Equal(1, r.Receiver.Counters.Rejected(ReceiverRejectReason.Overrun));
    }

    [Fact]
    public void Status_messages_follow_consumption_by_a_quarter_window_and_repeat_every_200ms()
    {
        var (r, s) = Start();
        for (int i = 0; i < 100; i++)
        {
            s.Append(TestStream.Message(i, 96)); // 128 bytes per frame
        }

        for (int i = 0; i < 100; i++)
        {
            r.Feed(s.Datagram(i), Sender, 1000 + i);
        }

        var sms = r.Sent.Where(f => f.Type == FrameType.StatusMessage).ToList();
        Assert.Equal(new[] { 0, 8320 }, sms.Select(f => StatusMessageFrame.ConsumptionTermOffset(f.Frame))); // first > 8192
        r.Tick(200_000_000 + 2000);
        Assert.Equal(8320, StatusMessageFrame.ConsumptionTermOffset(r.Sent[^1].Frame));
        Assert.Equal(3, r.Sent.Count(f => f.Type == FrameType.StatusMessage));
    }

    [Fact]
    public void End_of_stream_drains_with_eos_status_messages_then_removes_the_image()
    {
        var (r, s) = Start();
        s.Append(TestStream.Message(0, 10));
        r.Feed(s.Datagram(0), Sender, 10);
        r.Feed(s.Heartbeat(s.Position, 0xE0), Sender, 20);
        Assert.True(r.Receiver.TryGetImage(Session, Stream, out AeronImageStatus st) && st.IsEndOfStream);
        Assert.Equal(StatusMessageFrame.EndOfStreamFlag, AeronFrame.Flags(r.Sent[^1].Frame));
        r.Tick(1_000_000_030);
        Assert.Equal(0, r.Receiver.ImageCount);

        // Later EOS heartbeats do not elicit a SETUP for the finished session.
        r.Feed(s.Heartbeat(s.Position, 0xE0), Sender, 1_100_000_000);
        Assert.Equal(0, r.Receiver.Counters.SetupsElicited);
    }

    [Fact]
    public void Liveness_timeout_removes_the_image_and_cools_the_session_down()
    {
        var (r, s) = Start();
        r.Tick(10_000_000_001);
        Assert.Equal(0, r.Receiver.ImageCount);
        Assert.Equal(1, r.Receiver.Counters.ImageLivenessTimeouts);
        r.Feed(s.Setup(), Sender, 10_000_000_002);
        Assert.Equal(0, r.Receiver.ImageCount);
        Assert.Equal(1, r.Receiver.Counters.Rejected(ReceiverRejectReason.SessionCoolingDown));
        r.Feed(s.Setup(), Sender, 20_000_000_002);
        Assert.Equal(1, r.Receiver.ImageCount);
    }

    [Fact]
    public void Data_for_an_unknown_session_elicits_one_setup_per_second()
    {
        var s = new TestStream(Session, Stream, 0, 65536);
        s.Append(TestStream.Message(0, 10));
        var r = new Replay(new AeronReceiverOptions { ReceiverId = 9 });
        r.Feed(s.Datagram(0), Sender, 0);
        r.Feed(s.Datagram(0), Sender, 500_000_000);
        r.Feed(s.Datagram(0), Sender, 1_000_000_001);
        Assert.Equal(2, r.Sent.Count);
        Assert.All(r.Sent, f => Assert.Equal(
            (StatusMessageFrame.SendSetupFlag, Session, Stream, 0, 0, 0),
            (AeronFrame.Flags(f.Frame), StatusMessageFrame.SessionId(f.Frame), StatusMessageFrame.StreamId(f.Frame),
             StatusMessageFrame.ConsumptionTermId(f.Frame), StatusMessageFrame.ConsumptionTermOffset(f.Frame), StatusMessageFrame.ReceiverWindow(f.Frame))));
        Assert.Equal(3, r.Receiver.Counters.Rejected(ReceiverRejectReason.UnknownSession));
    }

    [Fact]
    public void Rttm_with_reply_flag_is_echoed_to_its_source()
    {
        var (r, _) = Start();
        var rttm = new byte[40];
        RttmFrame.Write(rttm, RttmFrame.ReplyFlag, Session, Stream, 987654321, 0, 9);
        r.Feed(rttm, Sender, 5);
        SentFrame reply = r.Sent[^1];
        Assert.Equal((FrameType.Rttm, (byte)0, 987654321L, 9L), (reply.Type, AeronFrame.Flags(reply.Frame), RttmFrame.EchoTimestamp(reply.Frame), RttmFrame.ReceiverId(reply.Frame)));
        RttmFrame.Write(rttm, RttmFrame.ReplyFlag, Session, Stream, 1, 0, 12345);
        r.Feed(rttm, Sender, 6);
        Assert.Equal(1, r.Receiver.Counters.Rejected(ReceiverRejectReason.RttmNotForUs));
    }

    [Fact]
    public void Each_kind_of_bad_input_is_dropped_with_its_reason()
    {
        var (r, s) = Start();
        s.Append(TestStream.Message(0, 10));
        s.Append(TestStream.Message(1, 10));
        byte[] good = s.Datagram(0, 2);

        void Expect(ReceiverRejectReason reason, byte[] datagram)
        {
            long before = r.Receiver.Counters.Rejected(reason);
            r.Feed(datagram, Sender, 100);
            Assert.Equal(before + 1, r.Receiver.Counters.Rejected(reason));
        }

        Expect(ReceiverRejectReason.ShortDatagram, new byte[7]);
        Expect(ReceiverRejectReason.UnsupportedVersion, Mutate(good, b => b[4] = 1));
        Expect(ReceiverRejectReason.BadFrameLength, Mutate(good, b => BinaryPrimitives.WriteInt32LittleEndian(b, -1)));
        Expect(ReceiverRejectReason.DataDatagramNotAligned, good.AsSpan(0, 48).ToArray());
        Expect(ReceiverRejectReason.UnknownFrameType, Mutate(good, b => b[6] = 0x42));
        Expect(ReceiverRejectReason.ControlFrameForSender, Mutate(new byte[36], b => { b[0] = 36; b[6] = 3; }));
        Expect(ReceiverRejectReason.ShortControlFrame, Mutate(s.Setup(), b => b[0] = 80));
        Expect(ReceiverRejectReason.InvalidSetup, Mutate(s.Setup(), b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(28), 65536 + 32)));
        Expect(ReceiverRejectReason.InvalidSetup, Mutate(s.Setup(), b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(32), 1400)));
        Expect(ReceiverRejectReason.InvalidDataPacket, good.Concat(new byte[32]).ToArray()); // trailing bytes
        Expect(ReceiverRejectReason.InvalidDataPacket, Mutate(good, b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(64 + 8), 96))); // wrong running offset
        Expect(ReceiverRejectReason.InvalidDataPacket, Mutate(good, b => BinaryPrimitives.WriteInt32LittleEndian(b, 100000))); // past the term
        Expect(ReceiverRejectReason.UnsubscribedStream, Mutate(good, b => { b[16] = 1; b[32 + 16] = 1; }));
        Assert.Empty(r.Messages);

        r.Feed(good, Sender, 200);
        Assert.Equal(2, r.Messages.Count);
    }

    [Fact]
    public void Steady_state_receive_allocates_nothing()
    {
        var (r, s) = Start();
        for (int i = 0; i < 4000; i++)
        {
            s.Append(TestStream.Message(i, 128));
        }

        // Up to 8 frames per datagram, never across a term, a PAD always last.
        var datagrams = new List<byte[]>();
        for (int i = 0; i < s.Frames.Count;)
        {
            int j = i + 1;
            while (j < s.Frames.Count && j - i < 8 && s.Frames[j - 1].Frame[6] == 1 && s.Frames[j].Position >> 16 == s.Frames[i].Position >> 16)
            {
                j++;
            }

            datagrams.Add(s.Datagram(i, j));
            i = j;
        }

        AeronReceiver receiver = r.Receiver;
        var handler = new CountingHandler();
        long now = 10;
        for (int i = 0; i < 100; i++)
        {
            receiver.OnDatagram(datagrams[i], 1, now++, ref handler);
            receiver.DoWork(now);
            receiver.Outbox.Clear();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 100; i < datagrams.Count; i++)
        {
            receiver.OnDatagram(datagrams[i], 1, now++, ref handler);
            receiver.DoWork(now);
            receiver.Outbox.Clear();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(s.Frames.Count(f => f.Frame[6] == 1), handler.Count);
    }

    private static byte[] Mutate(byte[] source, Action<byte[]> change)
    {
        byte[] copy = (byte[])source.Clone();
        change(copy);
        return copy;
    }

    private struct CountingHandler : IAeronMessageHandler
    {
        public int Count;

        public void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position) => Count++;
    }
}
