using System.Diagnostics;
using System.Net;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Adapters.Sbe;
using LowLatency.Adapters.Transport;
using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;
using LowLatency.Engine.Ring;

namespace LowLatency.Adapters.Tests.Transport;

/// <summary>Source allow-lists on a live endpoint, the control stream's handler, and the engine transport's control endpoint.</summary>
public sealed class ControlChannelTests
{
    private static readonly IPAddress Foreign = IPAddress.Parse("127.0.0.2"); // Linux loopback answers the whole 127/8

    [Fact]
    public void An_endpoint_with_an_allow_list_hears_an_allowed_publisher_and_refuses_a_foreign_one_before_the_receiver()
    {
        var receiver = new AeronReceiver(new AeronReceiverOptions { StreamIds = [9] });
        using var engine = new AeronUdpEndpoint(new UdpEndpointOptions { AllowedSources = SourceAllowList.Parse(["127.0.0.1"]) }, receiver);
        using var allowed = new AeronUdpEndpoint(new UdpEndpointOptions());
        using var foreign = new AeronUdpEndpoint(new UdpEndpointOptions { Bind = new IPEndPoint(Foreign, 0) });
        UdpPublication good = allowed.AddPublication(new AeronPublicationOptions { StreamId = 9, TermLength = 64 * 1024 }, engine.LocalEndPoint);
        UdpPublication bad = foreign.AddPublication(new AeronPublicationOptions { StreamId = 9, TermLength = 64 * 1024 }, engine.LocalEndPoint);
        var delivered = new Messages();
        var none = default(Messages);
        var clock = Stopwatch.StartNew();
        int sent = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(10) && (delivered.Count < 10 || foreign.DatagramsReceived == 0 && engine.DatagramsRefused < 20))
        {
            if (good.IsConnected && sent < 10 && good.Offer([1, 2, 3, (byte)sent]) == OfferResult.Ok)
            {
                sent++;
            }

            allowed.Poll(ref none);
            foreign.Poll(ref none);
            engine.Poll(ref delivered);
            Thread.Sleep(1);
        }

        Assert.Equal(10, delivered.Count);
        Assert.True(good.IsConnected);
        Assert.False(bad.IsConnected); // the foreign SETUPs never reached the receiver, so nothing answered them
        Assert.Equal(1, receiver.ImageCount);
        long refused = receiver.Counters.Rejected(ReceiverRejectReason.SourceNotAllowed);
        Assert.True(refused > 0, "foreign SETUPs counted as refused");
        Assert.Equal(engine.DatagramsRefused, refused);
        Assert.Equal(Foreign, engine.LastRefusedSource?.Address);
        Assert.Equal(foreign.LocalEndPoint.Port, engine.LastRefusedSource?.Port);
    }

    [Fact]
    public void The_control_handler_puts_valid_commands_in_the_ring_and_counts_everything_else_by_reason()
    {
        using var ring = new RingPipeline<PipelineSlot>(16, ProducerType.Single);
        var counters = new ControlCounters();
        var gate = new InboundGate();
        var handler = new ControlInboundHandler(ring.Sequencer, ring.Ring, counters, gate);
        byte[] buffer = new byte[256];

        void Send(ControlMessage control) => handler.OnMessage(buffer.AsSpan(0, ControlCodec.Encode(buffer, control)), 1, 1, 0);

        Send(new ControlMessage { Command = ControlCommand.Snapshot, RequestId = 1 });
        Send(new ControlMessage { Command = ControlCommand.PromoteModel, ModelVersion = 4, RequestId = 2 });
        Send(new ControlMessage { Command = ControlCommand.PromoteModel, ModelVersion = 0, RequestId = 3 }); // promote what?
        Send(new ControlMessage { Command = ControlCommand.RollbackModel, RequestId = 4 });
        Send(new ControlMessage { Command = ControlCommand.HoldModel, RequestId = 6 });
        Send(new ControlMessage { Command = ControlCommand.ReleaseModel, RequestId = 7 });
        int txLength = TransactionCodec.Encode(buffer, new Transaction { TxId = 5, EventTimeNs = 1, AmountMinor = 1, Latitude = double.NaN, Longitude = double.NaN });
        handler.OnMessage(buffer.AsSpan(0, txLength), 1, 1, 0); // a transaction has no business on the control stream
        ControlCodec.Encode(buffer, new ControlMessage { Command = ControlCommand.Snapshot });
        buffer[WireSchema.HeaderLength + ControlCodec.CommandOffset] = 5; // no such command (ReleaseModel is the last)
        handler.OnMessage(buffer.AsSpan(0, WireSchema.HeaderLength + ControlCodec.BlockLength), 1, 1, 0);
        handler.OnMessage(buffer.AsSpan(0, 5), 1, 1, 0); // truncated

        Assert.Equal(4, ring.Sequencer.Cursor.Value); // five slots: 0 to 4
        Assert.Equal((MessageKind.Control, ControlCommand.Snapshot, 1ul), (ring.Ring[0].Kind, ring.Ring[0].Control.Command, ring.Ring[0].Control.RequestId));
        Assert.Equal((ControlCommand.PromoteModel, 4u, 2ul), (ring.Ring[1].Control.Command, ring.Ring[1].Control.ModelVersion, ring.Ring[1].Control.RequestId));
        Assert.Equal((ControlCommand.RollbackModel, 4ul), (ring.Ring[2].Control.Command, ring.Ring[2].Control.RequestId));
        Assert.Equal((ControlCommand.HoldModel, ControlCommand.ReleaseModel), (ring.Ring[3].Control.Command, ring.Ring[4].Control.Command));
        Assert.Equal((1L, 1L, 1L, 2L), (counters.Promote, counters.Rollback, counters.Snapshot, counters.Hold));
        Assert.Equal(5, counters.Accepted);
        Assert.Equal((1L, 1L, 2L), (counters.MissingModelVersion, counters.NotControl, counters.Malformed));
        Assert.Equal(4, counters.Refused);

        gate.Close();
        Send(new ControlMessage { Command = ControlCommand.Snapshot });
        Assert.Equal(4, ring.Sequencer.Cursor.Value);
        Assert.Equal(1, gate.Refused);
    }

    [Fact]
    public void The_engine_transport_takes_control_commands_from_loopback_into_the_same_ring_and_refuses_other_sources()
    {
        using var ring = new RingPipeline<PipelineSlot>(64, ProducerType.Single);
        var poller = ring.AddPoller(); // a consumer that never moves: the ring just holds what the transport publishes
        ring.Start();
        using var transport = new EngineTransport(new EngineTransportOptions
        {
            Inbound = new IPEndPoint(IPAddress.Loopback, 0),
            DecisionDestination = new IPEndPoint(IPAddress.Loopback, LoopbackEngine.FreePort()),
            Control = new IPEndPoint(IPAddress.Loopback, 0),
            ControlAllowedSources = SourceAllowList.Parse(["127.0.0.1"]),
        });
        transport.Start(ring.Sequencer, ring.Ring);
        using var local = new AeronUdpEndpoint(new UdpEndpointOptions());
        using var foreign = new AeronUdpEndpoint(new UdpEndpointOptions { Bind = new IPEndPoint(Foreign, 0) });
        UdpPublication good = local.AddPublication(new AeronPublicationOptions { StreamId = WireStreams.Control, TermLength = 64 * 1024 }, transport.ControlEndpoint!.LocalEndPoint);
        UdpPublication bad = foreign.AddPublication(new AeronPublicationOptions { StreamId = WireStreams.Control, TermLength = 64 * 1024 }, transport.ControlEndpoint.LocalEndPoint);
        byte[] buffer = new byte[64];
        int length = ControlCodec.Encode(buffer, new ControlMessage { Command = ControlCommand.Snapshot, RequestId = 42 });
        var none = default(NoMessages);
        var clock = Stopwatch.StartNew();
        bool offered = false;
        while (clock.Elapsed < TimeSpan.FromSeconds(10) && (ring.Sequencer.Cursor.Value < 0 || transport.ControlEndpoint.DatagramsRefused < 3))
        {
            if (!offered && good.IsConnected)
            {
                offered = good.Offer(buffer.AsSpan(0, length)) == OfferResult.Ok;
            }

            local.Poll(ref none);
            foreign.Poll(ref none);
            Thread.Sleep(1);
        }

        Assert.Equal(0, ring.Sequencer.Cursor.Value);
        Assert.Equal((MessageKind.Control, ControlCommand.Snapshot, 42ul), (ring.Ring[0].Kind, ring.Ring[0].Control.Command, ring.Ring[0].Control.RequestId));
        Assert.Equal(1, transport.ControlCounters.Snapshot);
        Assert.False(bad.IsConnected);
        Assert.True(transport.ControlReceiver!.Counters.Rejected(ReceiverRejectReason.SourceNotAllowed) >= 3);
        Assert.Equal(0, transport.Receiver.Counters.TotalRejected); // the data endpoint saw none of it

        // After StopAccepting nothing more enters the ring; the refusal is counted.
        Assert.True(transport.StopAccepting(TimeSpan.FromSeconds(5)));
        good.Offer(buffer.AsSpan(0, length));
        clock.Restart();
        while (transport.Gate.Refused == 0 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            local.Poll(ref none);
            Thread.Sleep(1);
        }

        Assert.Equal(1, transport.Gate.Refused);
        Assert.Equal(0, ring.Sequencer.Cursor.Value);
        GC.KeepAlive(poller);
    }

    private struct Messages : IAeronMessageHandler
    {
        public int Count;

        public void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position) => Count++;
    }

    private readonly struct NoMessages : IAeronMessageHandler
    {
        public void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position)
        {
        }
    }
}
