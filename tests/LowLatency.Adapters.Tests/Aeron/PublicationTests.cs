using LowLatency.Adapters.Aeron;

namespace LowLatency.Adapters.Tests.Aeron;

/// <summary>Our publication against our receiver (itself checked against real captures), through a seeded lossy link.</summary>
public sealed class PublicationTests
{
    private const long Ms = 1_000_000;

    [Theory]
    [InlineData(1, 0.0, 0.0, 0.0)]
    [InlineData(2, 0.05, 0.02, 0.05)]
    [InlineData(3, 0.2, 0.1, 0.2)]
    [InlineData(4, 0.05, 0.05, 0.3)]
    public void Every_message_arrives_once_in_order_through_loss_duplication_and_reordering(int seed, double drop, double duplicate, double reorder)
    {
        var rng = new Random(seed);
        var link = new Link(new AeronPublicationOptions { SessionId = 5555, StreamId = 10, InitialTermId = int.MaxValue - 1, TermLength = 64 * 1024, Mtu = 1408 }, rng, drop, duplicate, reorder);
        var sent = new List<byte[]>();
        long now = 1_000 * Ms;
        int next = 0;
        while (link.Received.Count < 3000 && now < 200_000 * Ms)
        {
            // Random sizes up to three fragments; the stream rolls over terms and reuses partitions many times.
            for (int k = rng.Next(0, 8); k > 0 && next < 3000; k--)
            {
                byte[] m = TestStream.Message(next, rng.Next(0, 10) == 0 ? rng.Next(1400, 4000) : rng.Next(0, 300));
                OfferResult r = link.Publication.Offer(m);
                if (r != OfferResult.Ok)
                {
                    Assert.True(r is OfferResult.BackPressured or OfferResult.NotConnected, r.ToString());
                    break;
                }

                sent.Add(m);
                next++;
            }

            now += rng.Next(10, 2000) * 1000L;
            link.Step(now);
        }

        Assert.Equal(sent.Count, link.Received.Count);
        for (int i = 0; i < sent.Count; i++)
        {
            Assert.Equal(sent[i], link.Received[i]);
        }

        Assert.True(link.Publication.Position > 3L * 64 * 1024, "the stream should wrap all three partitions");
        if (drop > 0)
        {
            Assert.True(link.Publication.Counters.RetransmitDatagrams > 0);
        }

        Assert.Equal(0, link.Receiver.Counters.TotalRejected - link.Receiver.Counters.Rejected(ReceiverRejectReason.UnknownSession));
    }

    [Fact]
    public void Offers_are_refused_not_lost_before_connection_when_the_window_is_full_and_after_close()
    {
        var pub = new AeronPublication(new AeronPublicationOptions { SessionId = 7001, StreamId = 3, InitialTermId = 0, TermLength = 64 * 1024 });
        Assert.Equal(OfferResult.NotConnected, pub.Offer(new byte[10]));
        Assert.Equal(OfferResult.MaxMessageLengthExceeded, pub.Offer(new byte[(64 * 1024 / 8) + 1]));
        var sink = new ListSender();
        pub.DoWork(0, ref sink);
        Assert.Single(sink.Datagrams); // SETUP only: nothing else before the first SM
        Assert.Equal(FrameType.Setup, AeronFrame.Type(sink.Datagrams[0]));

        byte[] sm = new byte[36];
        StatusMessageFrame.Write(sm, 0, 7001, 3, 0, 0, 4096, 99);
        pub.OnControl(sm, 1);
        Assert.True(pub.IsConnected);

        // Publication window = term/2 = 32 KiB ahead of the sender; the sender may only go 4 KiB past the SM position.
        int accepted = 0;
        OfferResult result;
        while ((result = pub.Offer(new byte[100])) == OfferResult.Ok)
        {
            accepted++;
            pub.DoWork(2, ref sink);
        }

        Assert.Equal(OfferResult.BackPressured, result);
        // 100 B + 32 B header → 160 aligned; only whole frames inside SM position + 4096 are sent.
        Assert.Equal(4096 / 160 * 160, pub.SenderPosition);

        // Like Aeron, an offer is taken while the log end is below sender position + window (it may end past it).
        Assert.Equal((pub.SenderPosition + 32768 + 159) / 160, accepted);
        Assert.Equal(1, pub.Counters.BackPressured);

        pub.Close(3);
        Assert.Equal(OfferResult.Closed, pub.Offer(new byte[1]));
        Assert.Equal(accepted, pub.Counters.MessagesOffered);
    }

    [Fact]
    public void Setup_is_repeated_until_the_first_sm_and_again_when_a_receiver_asks()
    {
        var pub = new AeronPublication(new AeronPublicationOptions { SessionId = 7002, StreamId = 3, InitialTermId = 100, TermLength = 64 * 1024 });
        var sink = new ListSender();
        for (long t = 0; t <= 350 * Ms; t += Ms)
        {
            pub.DoWork(t, ref sink);
        }

        Assert.Equal(4, sink.Datagrams.Count(d => AeronFrame.Type(d) == FrameType.Setup)); // 0, 100, 200, 300 ms
        byte[] sm = new byte[36];
        StatusMessageFrame.Write(sm, 0, 7002, 3, 100, 0, 32768, 1);
        pub.OnControl(sm, 351 * Ms);
        sink.Datagrams.Clear();
        for (long t = 351 * Ms; t <= 800 * Ms; t += Ms)
        {
            if (t % (100 * Ms) == 0)
            {
                pub.OnControl(sm, t); // keep the receiver alive
            }

            pub.DoWork(t, ref sink);
        }

        Assert.DoesNotContain(sink.Datagrams, d => AeronFrame.Type(d) == FrameType.Setup);
        Assert.True(sink.Datagrams.Count(d => DataFrame.IsHeartbeat(d)) >= 4);

        byte[] elicit = new byte[36];
        StatusMessageFrame.Write(elicit, StatusMessageFrame.SendSetupFlag, 7002, 3, 0, 0, 0, 2);
        pub.OnControl(elicit, 801 * Ms);
        sink.Datagrams.Clear();
        pub.DoWork(801 * Ms, ref sink);
        pub.DoWork(950 * Ms, ref sink);
        Assert.Single(sink.Datagrams, d => AeronFrame.Type(d) == FrameType.Setup); // once: a receiver is live
    }

    [Fact]
    public void Receiver_silence_for_the_connection_timeout_disconnects_and_close_finishes_after_linger()
    {
        var pub = new AeronPublication(new AeronPublicationOptions { SessionId = 7003, StreamId = 3, InitialTermId = 0, TermLength = 64 * 1024, LingerTimeoutNs = 500 * Ms });
        var sink = new ListSender();
        byte[] sm = new byte[36];
        StatusMessageFrame.Write(sm, 0, 7003, 3, 0, 0, 32768, 1);
        pub.OnControl(sm, 0);
        Assert.Equal(OfferResult.Ok, pub.Offer(new byte[5]));
        pub.DoWork(Ms, ref sink);
        pub.DoWork(5_001 * Ms, ref sink);
        Assert.False(pub.IsConnected);
        Assert.Equal(OfferResult.NotConnected, pub.Offer(new byte[5]));
        Assert.Equal(1, pub.Counters.ReceiversTimedOut);

        var pub2 = new AeronPublication(new AeronPublicationOptions { SessionId = 7004, StreamId = 3, InitialTermId = 0, TermLength = 64 * 1024, LingerTimeoutNs = 500 * Ms });
        StatusMessageFrame.Write(sm, 0, 7004, 3, 0, 0, 32768, 1);
        pub2.OnControl(sm, 0);
        pub2.Close(Ms);
        sink.Datagrams.Clear();
        pub2.DoWork(Ms, ref sink);
        Assert.Equal(0xE0, AeronFrame.Flags(sink.Datagrams.Single()));
        pub2.OnControl(sm, 2 * Ms);
        pub2.DoWork(100 * Ms, ref sink);
        Assert.False(pub2.IsFinished);
        pub2.DoWork(501 * Ms, ref sink);
        Assert.True(pub2.IsFinished);
    }

    [Fact]
    public void Random_and_mutated_control_frames_are_counted_never_thrown()
    {
        var rng = new Random(11);
        var pub = new AeronPublication(new AeronPublicationOptions { SessionId = 7005, StreamId = 3, InitialTermId = 0, TermLength = 64 * 1024 });
        var sink = new ListSender();
        byte[] sm = new byte[36];
        StatusMessageFrame.Write(sm, 0, 7005, 3, 0, 0, 32768, 1);
        pub.OnControl(sm, 0);
        for (int i = 0; i < 200; i++)
        {
            pub.Offer(new byte[rng.Next(0, 3000)]);
            pub.DoWork(i, ref sink);
        }

        byte[] nak = new byte[28];
        NakFrame.Write(nak, 7005, 3, 0, 0, 1024);
        byte[][] seeds = [sm, nak, new byte[40]];
        for (int i = 0; i < 200_000; i++)
        {
            byte[] f = (byte[])seeds[i % 3].Clone();
            for (int k = rng.Next(1, 4); k > 0; k--)
            {
                f[rng.Next(f.Length)] = (byte)rng.Next(256);
            }

            pub.OnControl(f.AsSpan(0, rng.Next(0, f.Length + 1)), 1000 + i);
            if ((i & 63) == 0)
            {
                sink.Datagrams.Clear();
                pub.DoWork(1000 + i, ref sink);
            }
        }

        Assert.True(pub.Counters.TotalRejected > 1000);
        Assert.True(pub.SenderLimit <= pub.SenderPosition + (32 * 1024) + 65536);
    }

    [Fact]
    public void Steady_state_offer_send_receive_and_ack_allocates_nothing()
    {
        var link = new Link(new AeronPublicationOptions { SessionId = 7006, StreamId = 3, InitialTermId = 0, TermLength = 64 * 1024 }, new Random(1), 0, 0, 0, keep: false);
        byte[] message = new byte[128];
        long now = 0;
        int ok = 0;
        for (int i = 0; i < 20_000; i++)
        {
            ok += link.Publication.Offer(message) == OfferResult.Ok ? 1 : 0;
            link.Step(now += 1000);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20_000; i++)
        {
            ok += link.Publication.Offer(message) == OfferResult.Ok ? 1 : 0;
            link.Step(now += 1000);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(ok > 39_900);
        Assert.Equal(ok, link.Count);
    }

    [Fact]
    public void A_batch_the_transport_takes_only_in_part_resumes_at_the_first_datagram_it_did_not_take()
    {
        // Reference: every datagram through TrySend. Subject: batches of which the transport takes at most 3 datagrams.
        // The wire must not tell them apart: same datagrams, same order, every frame sent exactly once.
        List<byte[]> reference = SendAll(new ListSender(), out int referenceFailures);
        var partial = new PartialSender(3);
        List<byte[]> subject = SendAll(partial, out int subjectFailures);

        Assert.Equal(0, referenceFailures);
        Assert.True(subjectFailures > 0, "the transport refused part of some batch");
        Assert.True(partial.Batches > 0, "several datagrams were ready in one duty cycle");
        Assert.Equal(reference.Count, subject.Count);
        for (int i = 0; i < reference.Count; i++)
        {
            Assert.Equal(reference[i], subject[i]);
        }

        // Independent check of the stream itself: contiguous positions, whole frames, within the term and the mtu.
        const int TermLength = 64 * 1024;
        long position = 0;
        foreach (byte[] datagram in reference)
        {
            Assert.True(datagram.Length <= 1408 && AeronFrame.IsAligned(datagram.Length));
            Assert.Equal((int)(position & (TermLength - 1)), DataFrame.TermOffset(datagram));
            Assert.True(DataFrame.TermOffset(datagram) + datagram.Length <= TermLength);
            for (int at = 0; at < datagram.Length;)
            {
                ReadOnlySpan<byte> frame = datagram.AsSpan(at);
                Assert.Equal(DataFrame.TermOffset(datagram) + at, DataFrame.TermOffset(frame));
                int length = AeronFrame.FrameLength(frame);
                if (AeronFrame.Type(frame) == FrameType.Pad)
                {
                    position += length; // only the PAD's header is sent, and it ends the datagram
                    at += DataFrame.HeaderLength;
                    Assert.Equal(datagram.Length, at);
                }
                else
                {
                    position += AeronFrame.Align(length);
                    at += AeronFrame.Align(length);
                }
            }
        }

        Assert.True(position > 3 * 64 * 1024, "the stream crossed term boundaries");
    }

    [Theory]
    [InlineData(65536, 1024 * 1024, "multiple of 32 in [64, 65504]")]
    [InlineData(1400, 1024 * 1024, "multiple of 32 in [64, 65504]")]
    [InlineData(32, 1024 * 1024, "multiple of 32 in [64, 65504]")]
    [InlineData(16384, 64 * 1024, "greater than the max message length 8192")]
    public void An_mtu_aeron_would_refuse_is_rejected_with_the_rule_it_breaks(int mtu, int termLength, string rule)
    {
        var options = new AeronPublicationOptions { Mtu = mtu, TermLength = termLength };
        var e = Assert.Throws<ArgumentException>(() => new AeronPublication(options));
        Assert.Contains(rule, e.Message, StringComparison.Ordinal);
        Assert.Contains(mtu.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(65504, 1024 * 1024)]
    [InlineData(8192, 64 * 1024)]
    public void The_largest_mtu_a_term_allows_is_accepted_and_announced_in_setup(int mtu, int termLength)
    {
        var pub = new AeronPublication(new AeronPublicationOptions { SessionId = 7010, StreamId = 3, Mtu = mtu, TermLength = termLength });
        var sender = new ListSender();
        pub.DoWork(0, ref sender);
        Assert.Equal(mtu, SetupFrame.Mtu(Assert.Single(sender.Datagrams)));
    }

    /// <summary>Offers 4,000 messages of 100–299 bytes (and a 3,000-byte one every 97th) and sends them to a receiver that acknowledges everything.</summary>
    private static List<byte[]> SendAll<TSender>(TSender sender, out int sendFailures)
        where TSender : IDatagramSender, ICollected
    {
        var pub = new AeronPublication(new AeronPublicationOptions { SessionId = 7009, StreamId = 3, InitialTermId = 5, TermLength = 64 * 1024 });
        byte[] sm = new byte[StatusMessageFrame.Length];
        StatusMessageFrame.Write(sm, 0, 7009, 3, 5, 0, 32 * 1024, 1);
        pub.OnControl(sm, 0);
        byte[] message = new byte[3000];
        long now = 0;
        int offered = 0;
        int bits = LogPosition.PositionBitsToShift(64 * 1024);
        while (offered < 4000)
        {
            // A burst, then duty cycles until it is all sent: the datagram boundaries then depend on the offers alone,
            // not on how many datagrams the transport took per cycle.
            for (int burst = 0; burst < 40 && offered < 4000; burst++)
            {
                int length = offered % 97 == 0 ? 3000 : 100 + (offered % 200);
                message.AsSpan(0, length).Fill((byte)offered);
                Assert.Equal(OfferResult.Ok, pub.Offer(message.AsSpan(0, length)));
                offered++;
            }

            for (int cycle = 0; pub.SenderPosition < pub.Position; cycle++)
            {
                Assert.True(cycle < 1000, "the publication stopped sending");
                pub.DoWork(now += 1000, ref sender);

                // Acknowledge everything sent so far: the window moves only by status messages, as on the wire.
                long position = pub.SenderPosition;
                StatusMessageFrame.Write(sm, 0, 7009, 3, LogPosition.TermId(position, bits, 5), LogPosition.TermOffset(position, 64 * 1024), 32 * 1024, 1);
                pub.OnControl(sm, now);
            }
        }

        Assert.Equal(4000, offered);
        Assert.Equal(pub.Position, pub.SenderPosition);
        sendFailures = (int)pub.Counters.SendFailures;
        return sender.Datagrams.FindAll(d => AeronFrame.Type(d) != FrameType.Data || !DataFrame.IsHeartbeat(d));
    }

    internal interface ICollected
    {
        List<byte[]> Datagrams { get; }
    }

    /// <summary>Takes single datagrams always, and at most <paramref name="take"/> of a batch (a send buffer that filled).</summary>
    private sealed class PartialSender(int take) : IDatagramSender, ICollected
    {
        public List<byte[]> Datagrams { get; } = new();

        public int Batches { get; private set; }

        public bool TrySend(ReadOnlySpan<byte> datagram)
        {
            Datagrams.Add(datagram.ToArray());
            return true;
        }

        public int TrySendBatch(ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths)
        {
            Batches++;
            int offset = 0;
            int n = Math.Min(take, lengths.Length);
            for (int i = 0; i < n; i++)
            {
                Datagrams.Add(datagrams.Slice(offset, lengths[i]).ToArray());
                offset += lengths[i];
            }

            return n;
        }
    }

    internal sealed class ListSender : IDatagramSender, ICollected
    {
        public List<byte[]> Datagrams { get; } = new();

        public bool TrySend(ReadOnlySpan<byte> datagram)
        {
            Datagrams.Add(datagram.ToArray());
            return true;
        }

        public int TrySendBatch(ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths)
        {
            ListSender self = this;
            return DatagramBatch.SendEach(ref self, datagrams, lengths);
        }
    }

    /// <summary>Publication → seeded lossy, duplicating, reordering link → receiver, and the receiver's SMs/NAKs back (also lossy).</summary>
    private sealed class Link
    {
        private readonly Random _rng;
        private readonly double _drop;
        private readonly double _duplicate;
        private readonly double _reorder;
        private readonly bool _keep;
        private readonly byte[][] _held = new byte[64][];
        private readonly int[] _heldLength = new int[64];
        private int _heldCount;

        public Link(AeronPublicationOptions options, Random rng, double drop, double duplicate, double reorder, bool keep = true)
        {
            Publication = new AeronPublication(options);
            Receiver = new AeronReceiver(new AeronReceiverOptions { ReceiverId = 77, StreamIds = [options.StreamId] });
            _rng = rng;
            _drop = drop;
            _duplicate = duplicate;
            _reorder = reorder;
            _keep = keep;
            for (int i = 0; i < _held.Length; i++)
            {
                _held[i] = new byte[65536];
            }
        }

        public AeronPublication Publication { get; }

        public AeronReceiver Receiver { get; }

        public List<byte[]> Received { get; } = new();

        public long Count { get; private set; }

        public void Step(long now)
        {
            var forward = new Forward(this, now);
            Publication.DoWork(now, ref forward);
            Release(now, all: _rng.NextDouble() < 0.5);
            Receiver.DoWork(now);
            while (Receiver.Outbox.TryPeek(out ReadOnlySpan<byte> frame, out _))
            {
                if (_rng.NextDouble() >= _drop)
                {
                    Publication.OnControl(frame, now);
                }

                Receiver.Outbox.Dequeue();
            }
        }

        private void Deliver(ReadOnlySpan<byte> datagram, long now)
        {
            var handler = new Sink(this);
            Receiver.OnDatagram(datagram, 1, now, ref handler);
        }

        private void Release(long now, bool all)
        {
            while (_heldCount > (all ? 0 : _held.Length / 2))
            {
                int i = _rng.Next(_heldCount);
                Deliver(_held[i].AsSpan(0, _heldLength[i]), now);
                _heldCount--;
                (_held[i], _held[_heldCount]) = (_held[_heldCount], _held[i]);
                _heldLength[i] = _heldLength[_heldCount];
            }
        }

        private void Hold(ReadOnlySpan<byte> datagram, long now)
        {
            if (_heldCount == _held.Length)
            {
                Release(now, all: false);
            }

            datagram.CopyTo(_held[_heldCount]);
            _heldLength[_heldCount++] = datagram.Length;
        }

        private readonly struct Forward(Link link, long now) : IDatagramSender
        {
            public bool TrySend(ReadOnlySpan<byte> datagram)
            {
                if (link._drop > 0 && link._rng.NextDouble() < link._drop)
                {
                    return true;
                }

                int copies = link._duplicate > 0 && link._rng.NextDouble() < link._duplicate ? 2 : 1;
                for (int c = 0; c < copies; c++)
                {
                    if (link._reorder > 0 && link._rng.NextDouble() < link._reorder)
                    {
                        link.Hold(datagram, now);
                    }
                    else
                    {
                        link.Deliver(datagram, now);
                    }
                }

                return true;
            }

            public int TrySendBatch(ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths)
            {
                Forward self = this;
                return DatagramBatch.SendEach(ref self, datagrams, lengths);
            }
        }

        private readonly struct Sink(Link link) : IAeronMessageHandler
        {
            public void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position)
            {
                link.Count++;
                if (link._keep)
                {
                    link.Received.Add(payload.ToArray());
                }
            }
        }
    }
}
