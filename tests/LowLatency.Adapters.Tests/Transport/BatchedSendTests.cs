using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Adapters.Gateway;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Tests.Transport;

/// <summary>
/// The publication's batched send (one sendmmsg per duty cycle on Linux) against its one-sendto-per-datagram path, over
/// real loopback sockets: a raw socket plays the subscriber (SETUP → SM, then an SM after each read), records every
/// datagram that arrives, and the two paths must put the same bytes on the wire in the same order.
/// </summary>
public sealed class BatchedSendTests
{
    private const int Messages = 3000;

    [Theory]
    [InlineData(64 * 1024, 1408)]    // Aeron's defaults but a short term: PADs and term rollovers inside batches
    [InlineData(1024 * 1024, 65504)] // the largest mtu (loopback's link mtu is 64 KiB): hundreds of frames per datagram
    public void Batched_send_puts_the_same_datagrams_on_the_wire_in_the_same_order_as_one_sendto_each(int termLength, int mtu)
    {
        Wire single = Capture(batchedSend: false, termLength, mtu);
        Wire batched = Capture(batchedSend: true, termLength, mtu);

        Assert.False(single.IsBatched);
        Assert.Equal(OperatingSystem.IsLinux() && RuntimeArch(), batched.IsBatched);
        Assert.True(batched.LargestFlush > 1, "some duty cycle had several datagrams to send at once");
        Assert.Equal(single.Datagrams.Count, batched.Datagrams.Count);
        for (int i = 0; i < single.Datagrams.Count; i++)
        {
            Assert.Equal(single.Datagrams[i], batched.Datagrams[i]);
        }

        // And what arrived is the offered stream: every message once, in order, each datagram within the mtu, one term and
        // the window the subscriber granted.
        Assert.Equal(Expected(), Reassemble(batched.Datagrams, termLength, mtu));
        Assert.True(batched.Datagrams.Count < Messages / 4, "several frames per datagram");
    }

    [Fact]
    public void The_gateway_client_refuses_an_mtu_its_term_cannot_carry()
    {
        var options = new GatewayClientOptions { Bind = new IPEndPoint(IPAddress.Loopback, 0), Mtu = 65504, TermLength = 64 * 1024 };
        var e = Assert.Throws<ArgumentException>(() => new GatewayClient<NoListener>(options, default));
        Assert.Contains("Mtu 65504 is greater than the max message length 8192", e.Message, StringComparison.Ordinal);
    }

    private static bool RuntimeArch() =>
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.X64
            or System.Runtime.InteropServices.Architecture.Arm64;

    private static byte[] Message(int i)
    {
        byte[] message = new byte[i % 101 == 0 ? 2500 : 64 + (i % 190)]; // some fragmented at mtu 1408
        message.AsSpan().Fill((byte)i);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(message, i);
        return message;
    }

    private static List<byte[]> Expected()
    {
        var expected = new List<byte[]>();
        for (int i = 0; i < Messages; i++)
        {
            expected.Add(Message(i));
        }

        return expected;
    }

    /// <summary>
    /// Offers every message in bursts and flushes each burst; the subscriber reads what each flush sent and acknowledges
    /// it before the next burst, so the datagram boundaries depend only on the offers and the window.
    /// </summary>
    private static Wire Capture(bool batchedSend, int termLength, int mtu)
    {
        using var subscriber = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };
        subscriber.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var endpoint = new AeronUdpEndpoint(new UdpEndpointOptions { BatchedSend = batchedSend });
        UdpPublication publication = endpoint.AddPublication(
            new AeronPublicationOptions { SessionId = 4242, StreamId = 5, InitialTermId = 100, TermLength = termLength, Mtu = mtu, MaxDatagramsPerWork = 64 },
            (IPEndPoint)subscriber.LocalEndPoint!);
        var wire = new Wire { IsBatched = publication.IsBatchedSend };
        var deadline = Stopwatch.StartNew();
        byte[] buffer = new byte[65536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int bits = LogPosition.PositionBitsToShift(termLength);
        int window = termLength / 2;
        byte[] sm = new byte[StatusMessageFrame.Length];
        long acknowledged = 0;
        void Acknowledge(long position)
        {
            acknowledged = position;
            StatusMessageFrame.Write(sm, 0, 4242, 5, LogPosition.TermId(position, bits, 100), LogPosition.TermOffset(position, termLength), window, 9);
            subscriber.SendTo(sm, from);
            while (publication.Core.SenderLimit != position + window)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "the status message did not reach the publication");
                endpoint.PollPublications();
            }
        }

        // SETUP, then the first status message.
        while (true)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "no SETUP");
            endpoint.PollPublications();
            if (subscriber.Poll(1000, SelectMode.SelectRead))
            {
                int n = subscriber.ReceiveFrom(buffer, ref from);
                if (AeronFrame.Type(buffer.AsSpan(0, n)) == FrameType.Setup)
                {
                    Assert.Equal(mtu, SetupFrame.Mtu(buffer));
                    break;
                }
            }
        }

        Acknowledge(0);
        long received = 0; // the subscriber's position: everything before it arrived
        int offered = 0;
        while (offered < Messages || received < publication.Core.Position)
        {
            // Bursts of about one window at the largest mtu, else of ~20 datagrams: several datagrams per flush either way.
            for (int burst = 0; burst < (mtu > 8192 ? Messages : 150) && offered < Messages; burst++)
            {
                if (publication.Offer(Message(offered), send: false) != OfferResult.Ok)
                {
                    break;
                }

                offered++;
            }

            wire.LargestFlush = Math.Max(wire.LargestFlush, publication.Flush());
            while (received < publication.Core.SenderPosition)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "datagrams were lost on loopback");
                Assert.True(subscriber.Poll(1_000_000, SelectMode.SelectRead), "datagrams were lost on loopback");
                int n = subscriber.ReceiveFrom(buffer, ref from);
                ReadOnlySpan<byte> datagram = buffer.AsSpan(0, n);
                if (AeronFrame.Type(datagram) is not (FrameType.Data or FrameType.Pad) || DataFrame.IsHeartbeat(datagram))
                {
                    continue;
                }

                long start = LogPosition.Compute(DataFrame.TermId(datagram), DataFrame.TermOffset(datagram), bits, 100);
                Assert.Equal(received, start); // in order, nothing missing, nothing beyond what was acknowledged
                Assert.True(start + n <= acknowledged + window, "sent beyond the receiver window");
                ReadOnlySpan<byte> last = LastFrame(datagram);
                received = start + n + (AeronFrame.Type(last) == FrameType.Pad ? AeronFrame.FrameLength(last) - DataFrame.HeaderLength : 0);
                wire.Datagrams.Add(datagram.ToArray());
            }

            Acknowledge(received);
        }

        return wire;
    }

    private static ReadOnlySpan<byte> LastFrame(ReadOnlySpan<byte> datagram)
    {
        int at = 0;
        while (true)
        {
            int aligned = AeronFrame.Type(datagram.Slice(at)) == FrameType.Pad ? DataFrame.HeaderLength : AeronFrame.Align(AeronFrame.FrameLength(datagram.Slice(at)));
            if (at + aligned >= datagram.Length)
            {
                return datagram.Slice(at);
            }

            at += aligned;
        }
    }

    /// <summary>Frames → messages (BEGIN … END), checking each datagram's bounds and each frame's offset.</summary>
    private static List<byte[]> Reassemble(List<byte[]> datagrams, int termLength, int mtu)
    {
        var messages = new List<byte[]>();
        var assembling = new List<byte>();
        foreach (byte[] datagram in datagrams)
        {
            Assert.True(datagram.Length <= mtu && AeronFrame.IsAligned(datagram.Length));
            int termOffset = DataFrame.TermOffset(datagram);
            Assert.True(termOffset + datagram.Length <= termLength, "a datagram straddles two terms");
            for (int at = 0; at < datagram.Length;)
            {
                ReadOnlySpan<byte> frame = datagram.AsSpan(at);
                Assert.Equal(termOffset + at, DataFrame.TermOffset(frame));
                Assert.Equal(4242, DataFrame.SessionId(frame));
                int length = AeronFrame.FrameLength(frame);
                if (AeronFrame.Type(frame) == FrameType.Pad)
                {
                    Assert.Equal(termLength, termOffset + at + length);
                    at += DataFrame.HeaderLength;
                    continue;
                }

                byte flags = AeronFrame.Flags(frame);
                if ((flags & DataFrame.BeginFlag) != 0)
                {
                    assembling.Clear();
                }

                assembling.AddRange(frame.Slice(DataFrame.HeaderLength, length - DataFrame.HeaderLength).ToArray());
                if ((flags & DataFrame.EndFlag) != 0)
                {
                    messages.Add([.. assembling]);
                }

                at += AeronFrame.Align(length);
            }
        }

        return messages;
    }

    private readonly struct NoListener : IDecisionListener
    {
        public void OnDecision(in Decision decision, ReadOnlySpan<WireReason> reasons, long sentTicks, long receivedTicks)
        {
        }

        public void OnUnmatched(in Decision decision)
        {
        }
    }

    private sealed class Wire
    {
        public List<byte[]> Datagrams { get; } = new();

        public bool IsBatched { get; init; }

        public int LargestFlush { get; set; }
    }
}
