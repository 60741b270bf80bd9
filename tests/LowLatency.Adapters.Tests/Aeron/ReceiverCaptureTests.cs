using System.Buffers.Binary;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Pcap;
using static LowLatency.Adapters.Tests.Aeron.Captures;

namespace LowLatency.Adapters.Tests.Aeron;

/// <summary>
/// Interop proof against real Aeron C 1.53 traffic: the datagrams the real receiver got are replayed through our receiver,
/// which must recover every message the publisher sent and ask for what the real receiver asked for.
/// </summary>
public sealed class ReceiverCaptureTests
{
    [Fact]
    public void Sample_capture_yields_all_2000_apub_messages_in_order_matching_an_independent_decode()
    {
        List<UdpDatagram> toReceiver = ToReceiver("aeron-udp-sample.pcap");
        var replay = new Replay();
        toReceiver.ForEach(replay.Feed);

        Assert.Equal(2000, replay.Messages.Count);
        for (int i = 0; i < replay.Messages.Count; i++)
        {
            ReceivedMessage m = replay.Messages[i];
            Assert.Equal(i, CheckApubPayload(m.Payload));
            Assert.InRange(m.Payload.Length, 64, 256);
            Assert.Equal(1001, m.StreamId);
        }

        List<NaiveFrame> reference = NaiveDataMessages(toReceiver);
        Assert.Equal(reference.Select(f => f.Payload), replay.Messages.Select(m => m.Payload));
        Assert.Equal(reference.Select(f => f.EndPosition), replay.Messages.Select(m => m.Position));

        // Wireshark's own decode of the first datagrams names the same frame lengths.
        var dissector = DissectorDataFrameLengths("aeron-udp-sample.txt");
        Assert.True(dissector.Count > 100);
        var byKey = reference.ToDictionary(f => (f.TermId, f.TermOffset));
        foreach (var ((termId, termOffset), length) in dissector)
        {
            if (byKey.TryGetValue((termId, termOffset), out NaiveFrame f))
            {
                Assert.Equal(length, f.Payload.Length + 32);
            }
        }

        AeronReceiverCounters c = replay.Receiver.Counters;
        Assert.True(c.PadFrames >= 2, "the capture has PAD frames at #87 and #319");
        Assert.True(c.Heartbeats > 0);
        Assert.Equal(1, c.EndOfStreams);
        Assert.Equal(0, c.TotalRejected);
        Assert.Equal(0, c.NaksSent);
        Assert.Equal(0, FromReceiver("aeron-udp-sample.pcap").Count(d => AeronFrame.Type(d.Payload.Span) == FrameType.Nak));
    }

    [Fact]
    public void Sample_capture_status_messages_match_the_real_receivers_field_by_field()
    {
        List<UdpDatagram> toReceiver = ToReceiver("aeron-udp-sample.pcap");
        List<UdpDatagram> realSms = FromReceiver("aeron-udp-sample.pcap")
            .Where(d => AeronFrame.Type(d.Payload.Span) == FrameType.StatusMessage).ToList();
        var replay = new Replay();
        toReceiver.ForEach(replay.Feed);
        List<SentFrame> ourSms = replay.Sent.Where(f => f.Type == FrameType.StatusMessage).ToList();

        // The first SM: answer to the SETUP, join position, window min(128 KiB, term/2), to the SETUP's source.
        AssertSameSm(realSms[0].Payload.Span, ourSms[0].Frame);
        Assert.Equal(realSms[0].Destination, ourSms[0].Destination);
        Assert.Equal(42, StatusMessageFrame.ReceiverId(ourSms[0].Frame));

        // Draining: after the EOS heartbeat, SMs carry the EOS flag and (like the real receiver's) repeat the last
        // scheduled position; which position that is depends on the real subscriber's polling, so compare the rule.
        List<UdpDatagram> realEos = realSms.Where(d => (AeronFrame.Flags(d.Payload.Span) & 0x40) != 0).ToList();
        List<SentFrame> ourEos = ourSms.Where(f => (AeronFrame.Flags(f.Frame) & 0x40) != 0).ToList();
        Assert.NotEmpty(realEos);
        Assert.NotEmpty(ourEos);
        UdpDatagram realLastPlain = realSms.Last(d => AeronFrame.Flags(d.Payload.Span) == 0);
        SentFrame ourLastPlain = ourSms.Last(f => AeronFrame.Flags(f.Frame) == 0);
        Assert.All(realEos, d => Assert.Equal(
            StatusMessageFrame.ConsumptionTermOffset(realLastPlain.Payload.Span), StatusMessageFrame.ConsumptionTermOffset(d.Payload.Span)));
        Assert.All(ourEos, f => Assert.Equal(
            StatusMessageFrame.ConsumptionTermOffset(ourLastPlain.Frame), StatusMessageFrame.ConsumptionTermOffset(f.Frame)));
        Assert.True(ourEos[0].TimeNs >= toReceiver.First(d => (AeronFrame.Flags(d.Payload.Span) & 0x20) != 0).TimestampNs);
        Assert.All(ourEos, f => Assert.Equal(
            StatusMessageFrame.ConsumptionTermId(realEos[0].Payload.Span), StatusMessageFrame.ConsumptionTermId(f.Frame)));

        // Every SM is well formed for the strictest sender (§5): aligned offset, window ≤ term/2, positions never go back.
        long last = long.MinValue;
        foreach (SentFrame sm in ourSms)
        {
            Assert.Equal(36, sm.Frame.Length);
            Assert.Equal(0, StatusMessageFrame.ConsumptionTermOffset(sm.Frame) % 32);
            Assert.Equal(32768, StatusMessageFrame.ReceiverWindow(sm.Frame));
            long pos = ((long)(StatusMessageFrame.ConsumptionTermId(sm.Frame) - SetupFrame.InitialTermId(toReceiver[0].Payload.Span)) << 16)
                + StatusMessageFrame.ConsumptionTermOffset(sm.Frame);
            Assert.True(pos >= last);
            last = pos;
        }
    }

    [Fact]
    public void Loss_capture_with_the_dropped_datagrams_removed_recovers_every_message_from_the_retransmissions()
    {
        (List<UdpDatagram> survivors, int dropped) = SimulateInboundLoss("aeron-udp-loss.pcap");
        Assert.True(dropped > 50, $"only {dropped} datagrams identified as dropped");
        var replay = new Replay();
        survivors.ForEach(replay.Feed);

        Assert.Equal(2000, replay.Messages.Count);
        for (int i = 0; i < replay.Messages.Count; i++)
        {
            Assert.Equal(i, CheckApubPayload(replay.Messages[i].Payload));
        }

        // The same messages an independent decode of everything the sender sent gives (with duplicates collapsed).
        Assert.Equal(NaiveDataMessages(ToReceiver("aeron-udp-loss.pcap")).Select(f => f.Payload), replay.Messages.Select(m => m.Payload));
        Assert.True(replay.Receiver.Counters.GapsDetected > 50);
        Assert.Equal(1, replay.Receiver.Counters.EndOfStreams);
    }

    [Fact]
    public void Loss_capture_replayed_whole_ignores_every_duplicate_copy_exactly_once_each()
    {
        List<UdpDatagram> toReceiver = ToReceiver("aeron-udp-loss.pcap");
        var replay = new Replay();
        toReceiver.ForEach(replay.Feed);

        Assert.Equal(2000, replay.Messages.Count);
        for (int i = 0; i < replay.Messages.Count; i++)
        {
            Assert.Equal(i, CheckApubPayload(replay.Messages[i].Payload));
        }

        // Independent count: frames sent minus distinct frame positions = copies a receiver must ignore.
        int framesSent = 0;
        var distinct = new HashSet<(int, int)>();
        foreach (UdpDatagram d in toReceiver)
        {
            byte[] p = d.Payload.ToArray();
            if (p.Length <= 32 || p[6] > 1)
            {
                continue;
            }

            for (int o = 0; o + 32 <= p.Length; o += (BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(o)) + 31) / 32 * 32)
            {
                framesSent++;
                distinct.Add((BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(o + 20)), BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(o + 8))));
            }
        }

        Assert.True(framesSent - distinct.Count > 50, $"{framesSent} frames, {distinct.Count} distinct");
        Assert.Equal(framesSent - distinct.Count, replay.Receiver.Counters.DuplicateFrames);
        Assert.Equal(0, replay.Receiver.Counters.TotalRejected);
    }

    [Fact]
    public void Loss_capture_naks_name_the_same_gaps_as_the_real_receivers_naks()
    {
        (List<UdpDatagram> survivors, _) = SimulateInboundLoss("aeron-udp-loss.pcap");
        var replay = new Replay();
        survivors.ForEach(replay.Feed);

        var real = FromReceiver("aeron-udp-loss.pcap").Where(d => AeronFrame.Type(d.Payload.Span) == FrameType.Nak)
            .Select(d => NakKey(d.Payload.Span)).ToList();
        var ours = replay.Sent.Where(f => f.Type == FrameType.Nak).Select(f => NakKey(f.Frame)).ToList();
        Assert.Equal(108, real.Count);

        // Gap starts are deterministic: the first missing byte. Every gap the real receiver NAKed, we NAKed.
        var ourStarts = ours.Select(n => (n.TermId, n.TermOffset)).ToHashSet();
        Assert.All(real, n => Assert.Contains((n.TermId, n.TermOffset), ourStarts));

        // Lengths depend on what had arrived when the NAK left; ours leave sooner (1 µs, not ~3.6 ms) so may be shorter
        // when later loss is still unseen, but most coincide exactly and none may exceed the real receiver's.
        var realByStart = real.GroupBy(n => (n.TermId, n.TermOffset)).ToDictionary(g => g.Key, g => g.Max(n => n.Length));
        int exact = 0;
        foreach (var n in ours)
        {
            Assert.True(n.Length > 0 && n.Length % 32 == 0 && n.TermOffset % 32 == 0 && n.TermOffset + n.Length <= 65536);
            if (realByStart.TryGetValue((n.TermId, n.TermOffset), out int realLength) && realLength == n.Length)
            {
                exact++;
            }
        }

        Assert.True(exact >= realByStart.Count * 8 / 10, $"{exact} of {realByStart.Count} NAK lengths identical");
        Assert.All(ours, n => Assert.Equal(1001, n.StreamId));
        Assert.All(ours, n => Assert.Equal(real[0].SessionId, n.SessionId));
    }

    [Fact]
    public void Frag_capture_reassembles_twenty_5000_byte_messages()
    {
        var replay = new Replay();
        ToReceiver("aeron-udp-frag.pcap").ForEach(replay.Feed);
        Assert.Equal(20, replay.Messages.Count);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(5000, replay.Messages[i].Payload.Length);
            Assert.Equal(i, CheckApubPayload(replay.Messages[i].Payload));
            Assert.Equal((i + 1) * 5152L, replay.Messages[i].Position); // stride 3 × 1408 + 928 per the dump
        }

        Assert.Equal(80, replay.Receiver.Counters.DataFrames);
        Assert.Equal(0, replay.Receiver.Counters.TotalRejected);
    }

    [Fact]
    public void Rejoin_capture_through_one_receiver_yields_all_1000_messages()
    {
        var replay = new Replay();
        ToReceiver("aeron-udp-rejoin.pcap").ForEach(replay.Feed);
        Assert.Equal(1000, replay.Messages.Count);
        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(64, replay.Messages[i].Payload.Length);
            Assert.Equal(i, CheckApubPayload(replay.Messages[i].Payload));
        }
    }

    [Fact]
    public void Rejoin_capture_restarted_receiver_elicits_setup_and_joins_like_the_real_one()
    {
        List<UdpDatagram> all = Read("aeron-udp-rejoin.pcap");
        UdpDatagram realElicit = all.Single(d => d.PacketNumber == 849);
        UdpDatagram realSetup = all.Single(d => d.PacketNumber == 850);
        UdpDatagram realJoinSm = all.Single(d => d.PacketNumber == 851);

        // Receiver B starts where the real receiver B did: the last data datagram before its elicitation.
        var replay = new Replay();
        foreach (UdpDatagram d in all.Where(d => d.PacketNumber >= 848 && d.Destination.Port == ReceiverPort))
        {
            replay.Feed(d);
        }

        SentFrame elicit = replay.Sent[0];
        Assert.Equal(realElicit.Payload.Length, elicit.Frame.Length);
        Assert.True(realElicit.Payload.Span[..28].SequenceEqual(elicit.Frame.AsSpan(0, 28)), "SEND_SETUP SM differs");
        Assert.Equal(realElicit.Destination, elicit.Destination);

        SentFrame join = replay.Sent.First(f => f.TimeNs >= realSetup.TimestampNs && f.Type == FrameType.StatusMessage);
        AssertSameSm(realJoinSm.Payload.Span, join.Frame);

        // Messages from the join position to the end, contiguous.
        long first = CheckApubPayload(replay.Messages[0].Payload);
        Assert.Equal(1000 - first, replay.Messages.Count);
        for (int i = 0; i < replay.Messages.Count; i++)
        {
            Assert.Equal(first + i, CheckApubPayload(replay.Messages[i].Payload));
        }

        Assert.Equal(1, replay.Receiver.Counters.EndOfStreams);
    }

    private static void AssertSameSm(ReadOnlySpan<byte> real, ReadOnlySpan<byte> ours)
    {
        Assert.Equal(real.Length, ours.Length);
        Assert.Equal(AeronFrame.Flags(real), AeronFrame.Flags(ours));
        Assert.Equal(StatusMessageFrame.SessionId(real), StatusMessageFrame.SessionId(ours));
        Assert.Equal(StatusMessageFrame.StreamId(real), StatusMessageFrame.StreamId(ours));
        Assert.Equal(StatusMessageFrame.ConsumptionTermId(real), StatusMessageFrame.ConsumptionTermId(ours));
        Assert.Equal(StatusMessageFrame.ConsumptionTermOffset(real), StatusMessageFrame.ConsumptionTermOffset(ours));
        Assert.Equal(StatusMessageFrame.ReceiverWindow(real), StatusMessageFrame.ReceiverWindow(ours));
    }

    private readonly record struct Nak(int SessionId, int StreamId, int TermId, int TermOffset, int Length);

    private static Nak NakKey(ReadOnlySpan<byte> f) =>
        new(NakFrame.SessionId(f), NakFrame.StreamId(f), NakFrame.TermId(f), NakFrame.TermOffset(f), NakFrame.GapLength(f));

    internal readonly record struct NaiveFrame(int TermId, int TermOffset, long Position, long EndPosition, byte[] Payload);

    /// <summary>
    /// Reference decode, written without the receiver's code: every DATA frame of every datagram, keyed by position, first
    /// copy wins, in position order — the message sequence a perfect receiver must deliver (unfragmented streams).
    /// </summary>
    internal static List<NaiveFrame> NaiveDataMessages(List<UdpDatagram> datagrams)
    {
        ReadOnlySpan<byte> setup = datagrams.First(d => d.Payload.Span[6] == 5).Payload.Span;
        int initialTermId = BinaryPrimitives.ReadInt32LittleEndian(setup[20..]);
        int termLength = BinaryPrimitives.ReadInt32LittleEndian(setup[28..]);
        int bits = System.Numerics.BitOperations.Log2((uint)termLength);
        var frames = new SortedDictionary<long, NaiveFrame>();
        foreach (UdpDatagram d in datagrams)
        {
            byte[] p = d.Payload.ToArray();
            if (p.Length <= 32 || p[6] > 1)
            {
                continue;
            }

            for (int o = 0; o + 32 <= p.Length;)
            {
                int len = BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(o));
                int termOffset = BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(o + 8));
                int termId = BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(o + 20));
                long pos = ((long)(termId - initialTermId) << bits) + termOffset;
                int aligned = (len + 31) / 32 * 32;
                if (p[o + 6] == 1)
                {
                    frames.TryAdd(pos, new NaiveFrame(termId, termOffset, pos, pos + aligned, p.AsSpan(o + 32, len - 32).ToArray()));
                }

                o += aligned;
            }
        }

        return frames.Values.ToList();
    }

    /// <summary>
    /// The loss capture was taken before the receiver host's 5% INPUT drop, so the dropped datagrams are in it. A data
    /// datagram counts as dropped when a later real NAK covers its start and every one of its frames is sent again after
    /// that NAK — so nothing removed is unrecoverable. Returns the datagrams the real receiver plausibly got.
    /// </summary>
    internal static (List<UdpDatagram> Survivors, int Dropped) SimulateInboundLoss(string pcapName)
    {
        List<UdpDatagram> all = Read(pcapName);
        ReadOnlySpan<byte> setup = all.First(d => d.Destination.Port == ReceiverPort && d.Payload.Span[6] == 5).Payload.Span;
        int initialTermId = BinaryPrimitives.ReadInt32LittleEndian(setup[20..]);
        var naks = all.Where(d => d.Source.Port == ReceiverPort && AeronFrame.Type(d.Payload.Span) == FrameType.Nak)
            .Select(d => (d.TimestampNs, Start: Pos(d.Payload.Span, 16, 20), Length: (long)NakFrame.GapLength(d.Payload.Span)))
            .ToList();
        var copies = new Dictionary<long, List<long>>(); // frame position → send times
        var framesOf = new Dictionary<int, List<long>>(); // datagram → frame positions
        foreach (UdpDatagram d in all.Where(d => d.Destination.Port == ReceiverPort))
        {
            ReadOnlySpan<byte> p = d.Payload.Span;
            if (p.Length <= 32 || p[6] > 1)
            {
                continue;
            }

            var positions = new List<long>();
            for (int o = 0; o + 32 <= p.Length; o += (BinaryPrimitives.ReadInt32LittleEndian(p[o..]) + 31) / 32 * 32)
            {
                long pos = Pos(p[o..], 20, 8);
                positions.Add(pos);
                if (!copies.TryGetValue(pos, out List<long>? times))
                {
                    copies[pos] = times = new List<long>();
                }

                times.Add(d.TimestampNs);
            }

            framesOf[d.PacketNumber] = positions;
        }

        var survivors = new List<UdpDatagram>();
        int dropped = 0;
        foreach (UdpDatagram d in all.Where(d => d.Destination.Port == ReceiverPort))
        {
            bool lost = framesOf.TryGetValue(d.PacketNumber, out List<long>? positions) && naks.Any(n =>
                n.TimestampNs > d.TimestampNs && positions[0] >= n.Start && positions[0] < n.Start + n.Length
                && positions.All(pos => copies[pos].Any(t => t > n.TimestampNs)));
            if (lost)
            {
                dropped++;
            }
            else
            {
                survivors.Add(d);
            }
        }

        return (survivors, dropped);

        long Pos(ReadOnlySpan<byte> f, int termIdAt, int termOffsetAt) =>
            ((long)(BinaryPrimitives.ReadInt32LittleEndian(f[termIdAt..]) - initialTermId) << 16)
            + BinaryPrimitives.ReadInt32LittleEndian(f[termOffsetAt..]);
    }
}
