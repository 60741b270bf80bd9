using System.Diagnostics;
using System.Net;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Adapters.Gateway;
using LowLatency.Adapters.Sbe;
using LowLatency.Adapters.Transport;
using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Tests.Transport;

/// <summary>The protocol cores over real loopback UDP sockets, the engine and the gateway client end to end, and faults.</summary>
public sealed class UdpTransportTests
{
    [Theory]
    [InlineData(false, false, 8)]
    [InlineData(true, false, 8)] // recvmmsg: also proves the kernel's sockaddr works as the reply address
    [InlineData(true, true, 64)] // and sendmmsg: bursts of 64 leave as 8 datagrams per flush
    [InlineData(false, true, 64)]
    public void Publication_to_receiver_over_loopback_delivers_in_order_and_the_datagram_path_allocates_nothing(bool batchedReceive, bool batchedSend, int burst)
    {
        var receiver = new AeronReceiver(new AeronReceiverOptions { StreamIds = [9] });
        using var b = new AeronUdpEndpoint(new UdpEndpointOptions { BatchedReceive = batchedReceive }, receiver);
        using var a = new AeronUdpEndpoint(new UdpEndpointOptions { BatchedSend = batchedSend });
        UdpPublication pub = a.AddPublication(new AeronPublicationOptions { StreamId = 9, TermLength = 64 * 1024 }, b.LocalEndPoint);
        var counter = new Counter();
        var none = default(Counter);
        var deadline = Stopwatch.StartNew();
        while (!pub.IsConnected && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            a.Poll(ref none);
            b.Poll(ref counter);
            Thread.Sleep(1);
        }

        Assert.True(pub.IsConnected);
        byte[] message = new byte[128];
        int sent = 0;
        long allocatedAfterWarmup = 0;
        for (int round = 0; round < 4; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 30_000 && deadline.Elapsed < TimeSpan.FromSeconds(20);)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(message, sent);
                // Bursts of offers, then one flush: several frames per datagram, as under load.
                if (pub.Offer(message, send: false) == OfferResult.Ok)
                {
                    sent++;
                    i++;
                }

                if (i % burst == 0)
                {
                    pub.Flush();
                    b.Poll(ref counter);
                    a.Poll(ref none);
                }
            }

            while (counter.Count < sent && deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                b.Poll(ref counter);
                a.Poll(ref none);
            }

            if (round > 0)
            {
                allocatedAfterWarmup += GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }

        Assert.Equal(sent, counter.Count);
        Assert.Equal(0, counter.OutOfOrder);
        // 90,000 messages after warm-up: one allocation per datagram would be megabytes. The JIT may allocate a few bytes on
        // this thread once when it tiers a method up (on-stack replacement compiles synchronously), hence not exactly 0.
        Assert.True(allocatedAfterWarmup < 512, $"{allocatedAfterWarmup} bytes allocated in steady state");
        Assert.True(b.DatagramsReceived < sent / 2, "several messages per datagram");
    }

    [Theory]
    [InlineData(false, 4096)]
    [InlineData(true, 4096)]
    [InlineData(true, 8)]
    public void Gateway_to_engine_to_gateway_over_udp_returns_every_decision_identical_to_the_in_process_pipeline(bool polled, int ringSize)
    {
        var (txs, model, policy, enginePort, matched, unmatched) = Setup(3000, 5);
        var reference = LoopbackEngine.Reference(txs, model, policy);
        using var gateway = Gateway(enginePort, matched, unmatched);
        using var engine = new LoopbackEngine(enginePort, gateway.LocalEndPoint, model, policy, polled, ringSize);
        Assert.True(gateway.WaitUntilConnected(TimeSpan.FromSeconds(10)), "gateway and engine did not connect");

        Send(gateway, txs, labelsEvery: 10);
        WaitFor(() => Count(matched) >= txs.Length, TimeSpan.FromSeconds(20));

        AssertSameDecisions(reference, matched, txs);
        Assert.Empty(unmatched);
        Assert.Equal(txs.Length / 10, engine.Pipeline.Stats.LabelsIn);
        Assert.Equal(0, engine.Pipeline.Stats.Rejected);
        Assert.Equal(0, engine.Transport.Decoder.Counters.Rejected);
        Assert.Equal(0, engine.Transport.SinkCounters.NotConnected);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Through_a_proxy_that_drops_duplicates_reorders_and_delays_every_decision_comes_back_once_in_order(int seed)
    {
        Transaction[] txs = LoopbackEngine.RandomTransactions(2000, seed);
        var model = LoopbackEngine.RandomModel(3);
        var policy = new DecisionPolicy(0.5f, 0.9f);
        var reference = LoopbackEngine.Reference(txs, model, policy);

        int enginePort = LoopbackEngine.FreePort();
        int gatewayPort = LoopbackEngine.FreePort();
        using var proxy = new FaultyUdpProxy(
            seed, new IPEndPoint(IPAddress.Loopback, gatewayPort), new IPEndPoint(IPAddress.Loopback, enginePort),
            drop: 0.05, duplicate: 0.03, delay: 0.05, maxDelay: TimeSpan.FromMilliseconds(3));
        var matched = new List<(Decision Decision, WireReason[] Reasons, long Sent)>();
        var unmatched = new List<ulong>();
        using var gateway = new GatewayClient<RecordingListener>(
            new GatewayClientOptions { Bind = proxy.Gateway, Engine = proxy.Front }, new RecordingListener(matched, unmatched));
        using var engine = new LoopbackEngine(enginePort, proxy.Back, model, policy, polled: true);
        Assert.True(gateway.WaitUntilConnected(TimeSpan.FromSeconds(10)), "gateway and engine did not connect through the proxy");

        Send(gateway, txs, labelsEvery: 7);
        WaitFor(() => Count(matched) >= txs.Length, TimeSpan.FromSeconds(30));

        AssertSameDecisions(reference, matched, txs);
        Assert.Empty(unmatched); // no decision twice: a duplicate would find no pending entry
        Assert.Equal(txs.Length / 7, engine.Pipeline.Stats.LabelsIn);
        Assert.True(proxy.Dropped > 10 && proxy.Duplicated > 5 && proxy.Delayed > 10, $"dropped {proxy.Dropped}, duplicated {proxy.Duplicated}, delayed {proxy.Delayed}");
        Assert.True(engine.Transport.Receiver.Counters.GapsDetected > 0);
        Assert.True(gateway.Publication.Counters.RetransmitDatagrams > 0 || engine.Transport.Decisions.Core.Counters.RetransmitDatagrams > 0);
    }

    [Fact]
    public void A_gateway_client_polled_from_the_callers_thread_gets_every_decision_without_a_receive_thread()
    {
        var (txs, model, policy, enginePort, matched, unmatched) = Setup(500, 12);
        var reference = LoopbackEngine.Reference(txs, model, policy);
        using var gateway = Gateway(enginePort, matched, unmatched, ownThread: false);
        using var engine = new LoopbackEngine(enginePort, gateway.LocalEndPoint, model, policy);
        Assert.True(gateway.WaitUntilConnected(TimeSpan.FromSeconds(10)));

        var clock = Stopwatch.StartNew();
        for (int i = 0; i < txs.Length; i++)
        {
            while (gateway.SendTransaction(txs[i], i) != OfferResult.Ok)
            {
                gateway.Poll();
            }

            // One transaction in flight: the caller's thread receives its decision before sending the next.
            while (Count(matched) <= i && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                gateway.Idle(gateway.Poll());
            }
        }

        AssertSameDecisions(reference, matched, txs);
        Assert.Empty(unmatched);
    }

    [Fact]
    public void Garbage_datagrams_at_the_engine_are_counted_and_the_engine_keeps_deciding()
    {
        var (txs, model, policy, enginePort, matched, unmatched) = Setup(300, 9);
        using var gateway = Gateway(enginePort, matched, unmatched);
        using var engine = new LoopbackEngine(enginePort, gateway.LocalEndPoint, model, policy);
        Assert.True(gateway.WaitUntilConnected(TimeSpan.FromSeconds(10)));

        // Random bytes, empty and maximal datagrams, and mutated real frame headers of every type, from a stranger.
        using var stranger = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        var rng = new Random(4);
        var target = new IPEndPoint(IPAddress.Loopback, enginePort);
        for (int i = 0; i < 3000; i++)
        {
            int length = rng.Next(5) switch { 0 => 0, 1 => rng.Next(1, 8), 2 => 65000, _ => rng.Next(8, 1500) };
            byte[] d = new byte[length];
            rng.NextBytes(d);
            if (length >= 8 && rng.Next(2) == 0)
            {
                d[4] = 0; // valid version, so the frame reaches the type-specific checks
                d[6] = (byte)rng.Next(0, 12);
                d[7] = 0;
            }

            stranger.SendTo(d, target);
            if ((i & 255) == 0)
            {
                Thread.Sleep(1);
            }
        }

        Send(gateway, txs, labelsEvery: 1000);
        WaitFor(() => Count(matched) >= txs.Length, TimeSpan.FromSeconds(20));
        Assert.Equal(txs.Length, Count(matched));
        Assert.True(engine.Transport.Receiver.Counters.TotalRejected + engine.Transport.Endpoint.UnroutedControlFrames
            + engine.Transport.Decisions.Core.Counters.TotalRejected > 1000);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_gateway_that_stops_reading_decisions_stalls_the_engine_only_until_it_reads_again(bool polled)
    {
        // The gateway is polled by this thread, and not at all while it sends a burst of 400 and until the engine's decide
        // stage has been refused: decisions pile up past its receiver window (4 KiB, a few dozen decisions), the engine's
        // decision publication (4 KiB may wait unsent) is back-pressured, and with an 8-slot ring the engine's network
        // thread ends up waiting too. The gateway's status messages must still get through when it reads again (they go
        // back to the decision socket), so every decision arrives, identical to the in-process pipeline's.
        var (txs, model, policy, enginePort, matched, unmatched) = Setup(4000, 9);
        var reference = LoopbackEngine.Reference(txs, model, policy);
        using var gateway = Gateway(enginePort, matched, unmatched, ownThread: false, decisionWindow: 4096);
        using var engine = new LoopbackEngine(enginePort, gateway.LocalEndPoint, model, policy, polled, ringSize: 8, decisionWindow: 4096);
        var clock = Stopwatch.StartNew();
        while (!gateway.IsConnected && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            gateway.Poll();
            Thread.Sleep(1);
        }

        Assert.True(gateway.IsConnected, "gateway and engine did not connect");
        for (int i = 0; i < txs.Length; i++)
        {
            while (gateway.SendTransaction(txs[i], i) != OfferResult.Ok)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(40), "sending stalled");
                gateway.Poll();
            }

            if (i % 400 == 399)
            {
                // Not reading until the engine has run into the closed window (however slowly a loaded machine runs it).
                long stalls = engine.Transport.SinkCounters.BackPressured;
                var stalling = Stopwatch.StartNew();
                while (Volatile.Read(ref engine.Transport.SinkCounters.BackPressured) == stalls && stalling.Elapsed < TimeSpan.FromSeconds(5))
                {
                    Thread.Sleep(1);
                }

                var reading = Stopwatch.StartNew();
                while (Count(matched) <= i - 8 && reading.Elapsed < TimeSpan.FromSeconds(10))
                {
                    gateway.Poll();
                }
            }
        }

        while (Count(matched) < txs.Length && clock.Elapsed < TimeSpan.FromSeconds(40))
        {
            if (gateway.Poll() == 0)
            {
                Thread.Yield();
            }
        }

        Assert.True(matched.Count == txs.Length, $"{matched.Count} of {txs.Length} decisions; sink published {engine.Transport.SinkCounters.Published}, not connected {engine.Transport.SinkCounters.NotConnected}, failed {engine.Transport.SinkCounters.Failed}");
        AssertSameDecisions(reference, matched, txs);
        Assert.True(engine.Transport.SinkCounters.BackPressured > 0, "the decision publication was never back-pressured: the test did not test the stall");
    }

    [Fact]
    public void Decisions_for_transactions_that_arrive_before_the_gateway_subscribes_wait_for_it_and_none_is_lost()
    {
        // The transactions come from a bare publication; the decision address has nobody on it yet. The decide stage must
        // hold the first decision (and so the ring) until a subscriber answers the SETUP, not drop it: this is the moment
        // a gateway connects, when its first transactions can overtake its first status message.
        var (txs, model, policy, enginePort, matched, unmatched) = Setup(300, 11);
        int gatewayPort = LoopbackEngine.FreePort();
        using var engine = new LoopbackEngine(
            enginePort, new IPEndPoint(IPAddress.Loopback, gatewayPort), model, policy, ringSize: 64, subscriberWait: TimeSpan.FromSeconds(20));
        using var source = new AeronUdpEndpoint(new UdpEndpointOptions());
        UdpPublication pub = source.AddPublication(new AeronPublicationOptions { StreamId = WireStreams.Inbound }, engine.Transport.Endpoint.LocalEndPoint);
        Publish(source, pub, txs);
        WaitFor(() => engine.Transport.SinkCounters.AwaitingSubscriber > 0, TimeSpan.FromSeconds(10));
        Thread.Sleep(150); // longer than a SETUP interval: the engine is waiting, not racing us

        // The gateway's own transaction publication goes to a port nobody reads: only its decision subscription matters.
        using var gateway = new GatewayClient<RecordingListener>(
            new GatewayClientOptions { Bind = new IPEndPoint(IPAddress.Loopback, gatewayPort), Engine = new IPEndPoint(IPAddress.Loopback, LoopbackEngine.FreePort()) },
            new RecordingListener(matched, unmatched));
        WaitFor(() => Count(unmatched) >= txs.Length, TimeSpan.FromSeconds(20));

        Assert.Equal(txs.Select(t => t.TxId), unmatched); // all of them, in order, each once (nobody here sent them)
        Assert.Equal(0, engine.Transport.SinkCounters.NotConnected);
        Assert.Equal(txs.Length, engine.Transport.SinkCounters.Published);
    }

    [Fact]
    public void With_no_gateway_subscribed_decisions_are_dropped_and_counted_after_one_bounded_wait()
    {
        var (txs, model, policy, enginePort, _, _) = Setup(400, 12);
        using var engine = new LoopbackEngine(
            enginePort, new IPEndPoint(IPAddress.Loopback, LoopbackEngine.FreePort()), model, policy, ringSize: 64,
            subscriberWait: TimeSpan.FromMilliseconds(200));
        using var source = new AeronUdpEndpoint(new UdpEndpointOptions());
        UdpPublication pub = source.AddPublication(new AeronPublicationOptions { StreamId = WireStreams.Inbound }, engine.Transport.Endpoint.LocalEndPoint);
        var clock = Stopwatch.StartNew();
        Publish(source, pub, txs);
        WaitFor(() => engine.Transport.SinkCounters.NotConnected >= txs.Length, TimeSpan.FromSeconds(20));

        // One wait for the whole episode, not one per decision (that would be 80 s): the engine went on scoring.
        Assert.Equal(txs.Length, engine.Transport.SinkCounters.NotConnected);
        Assert.Equal(txs.Length, engine.Pipeline.Stats.TransactionsIn);
        Assert.Equal(0, engine.Transport.SinkCounters.Published);
        Assert.True(engine.Transport.SinkCounters.AwaitingSubscriber > 0, "the first decision did not wait");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }

    /// <summary>Offers every transaction on a bare publication, polling its endpoint, bounded in time.</summary>
    private static void Publish(AeronUdpEndpoint source, UdpPublication pub, Transaction[] txs)
    {
        var none = default(Counter);
        var clock = Stopwatch.StartNew();
        byte[] buffer = new byte[TransactionCodec.MessageLength];
        foreach (Transaction tx in txs)
        {
            int length = TransactionCodec.Encode(buffer, tx);
            while (pub.Offer(buffer.AsSpan(0, length)) != OfferResult.Ok)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "publishing stalled");
                source.Poll(ref none);
                Thread.Yield();
            }
        }

        while (pub.Core.SenderPosition < pub.Core.Position && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            source.Poll(ref none);
            Thread.Yield();
        }
    }

    /// <summary>A stream, a random model, the policy every test uses, a free engine port and the gateway's records.</summary>
    private static (Transaction[] Txs, ServingModel Model, DecisionPolicy Policy, int EnginePort, List<(Decision Decision, WireReason[] Reasons, long Sent)> Matched, List<ulong> Unmatched)
        Setup(int count, int seed) =>
        (LoopbackEngine.RandomTransactions(count, seed), LoopbackEngine.RandomModel(3), new DecisionPolicy(0.5f, 0.9f), LoopbackEngine.FreePort(), [], []);

    /// <summary>A gateway client on an ephemeral loopback port publishing to the engine's port, recording what comes back.</summary>
    private static GatewayClient<RecordingListener> Gateway(
        int enginePort, List<(Decision Decision, WireReason[] Reasons, long Sent)> matched, List<ulong> unmatched, bool ownThread = true, int decisionWindow = 128 * 1024) =>
        new(
            new GatewayClientOptions
            {
                Bind = new IPEndPoint(IPAddress.Loopback, 0), Engine = new IPEndPoint(IPAddress.Loopback, enginePort), OwnThread = ownThread,
                DecisionWindowLength = decisionWindow,
            },
            new RecordingListener(matched, unmatched));

    private static void Send(GatewayClient<RecordingListener> gateway, Transaction[] txs, int labelsEvery)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < txs.Length; i++)
        {
            while (gateway.SendTransaction(txs[i], i) != OfferResult.Ok)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "sending stalled");
                Thread.Yield();
            }

            if ((i + 1) % labelsEvery == 0)
            {
                var label = new Label { TxId = txs[i].TxId, LabelTimeNs = txs[i].EventTimeNs + 1, Class = LabelClass.Genuine, Source = LabelSource.Chargeback };
                while (gateway.SendLabel(label) != OfferResult.Ok)
                {
                    Thread.Yield();
                }
            }

            if ((i & 63) == 63)
            {
                Thread.Sleep(1); // a paced gateway, not a flood: keeps the run about a second long
            }
        }
    }

    private static void AssertSameDecisions(
        List<(Decision Decision, WireReason[] Reasons)> reference, List<(Decision Decision, WireReason[] Reasons, long Sent)> matched, Transaction[] txs)
    {
        Assert.Equal(txs.Length, matched.Count);
        for (int i = 0; i < txs.Length; i++)
        {
            Decision ours = matched[i].Decision;
            Decision theirs = reference[i].Decision;
            Assert.Equal(txs[i].TxId, ours.TxId); // in order, each once
            Assert.Equal(i, matched[i].Sent);     // correlated with the send that carried it
            Assert.Equal(theirs.TxId, ours.TxId);
            Assert.Equal(theirs.Score, ours.Score);
            Assert.Equal(theirs.Outcome, ours.Outcome);
            Assert.Equal(theirs.ModelVersion, ours.ModelVersion);
            Assert.Equal(reference[i].Reasons, matched[i].Reasons);
        }
    }

    private static int Count<T>(List<T> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }

    private static void WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < timeout)
        {
            Thread.Sleep(5);
        }
    }

    private struct Counter : IAeronMessageHandler
    {
        public int Count;
        public int OutOfOrder;

        public void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position)
        {
            if (System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(payload) != Count)
            {
                OutOfOrder++;
            }

            Count++;
        }
    }
}
