using System.Buffers.Binary;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Pcap;
using static LowLatency.Adapters.Tests.Aeron.Captures;

namespace LowLatency.Adapters.Tests.Aeron;

/// <summary>
/// Drives our <see cref="AeronPublication"/> in lock-step with a real Aeron C publisher from a capture: it takes the real
/// publisher's ids from its SETUP, offers the same messages exactly when the real publisher's datagrams show they were in
/// its log, and gets the real receiver's SMs and NAKs at their capture times. What our publication sends can then be
/// compared with what the real one sent, datagram for datagram.
/// </summary>
internal sealed class PublisherReplay
{
    private readonly List<(long EndPosition, byte[] Payload)> _messages;
    private int _nextMessage;
    private long _realSent;
    private int _bits;

    public PublisherReplay(string pcapName, Func<AeronPublicationOptions, AeronPublicationOptions>? tweak = null)
    {
        All = Read(pcapName);
        RealSetup = All.First(d => d.Destination.Port == ReceiverPort && AeronFrame.Type(d.Payload.Span) == FrameType.Setup).Payload.ToArray();
        var options = new AeronPublicationOptions
        {
            SessionId = SetupFrame.SessionId(RealSetup),
            StreamId = SetupFrame.StreamId(RealSetup),
            InitialTermId = SetupFrame.InitialTermId(RealSetup),
            TermLength = SetupFrame.TermLength(RealSetup),
            Mtu = SetupFrame.Mtu(RealSetup),
        };
        Publication = new AeronPublication(tweak is null ? options : tweak(options));
        _messages = Messages(All.Where(d => d.Destination.Port == ReceiverPort).ToList(), SetupFrame.InitialTermId(RealSetup), SetupFrame.TermLength(RealSetup));
    }

    public List<UdpDatagram> All { get; }

    public byte[] RealSetup { get; }

    public AeronPublication Publication { get; }

    public int MessageCount => _messages.Count;

    /// <summary>Everything our publication sent, in order, with the capture time of the event that caused it.</summary>
    public List<(long TimeNs, byte[] Datagram)> Sent { get; } = new();

    /// <summary>The real publisher's data datagrams that were first transmissions (start at its send position).</summary>
    public List<byte[]> RealFirstTransmissions { get; } = new();

    /// <summary>The real publisher's data datagrams that re-sent earlier positions.</summary>
    public List<byte[]> RealRetransmissions { get; } = new();

    /// <summary>Our data datagrams that were first transmissions.</summary>
    public List<byte[]> OurFirstTransmissions { get; } = new();

    /// <summary>Our data datagrams that re-sent earlier positions.</summary>
    public List<byte[]> OurRetransmissions { get; } = new();

    /// <summary>Replays the capture; <paramref name="closeAtFirstEos"/> closes our publication when the real one signalled EOS.</summary>
    public void Run(bool closeAtFirstEos = true)
    {
        int bits = System.Numerics.BitOperations.Log2((uint)Publication.TermLength);
        _bits = bits;
        long oursSent = 0;
        foreach (UdpDatagram d in All)
        {
            ReadOnlySpan<byte> p = d.Payload.Span;
            long now = d.TimestampNs;
            if (d.Source.Port == ReceiverPort)
            {
                Publication.OnControl(p, now);
                Work(now, ref oursSent, bits);
                continue;
            }

            FrameType type = AeronFrame.Type(p);
            if (type is FrameType.Data or FrameType.Pad && !DataFrame.IsHeartbeat(p))
            {
                long start = Pos(p, bits);
                long end = start + p.Length;
                if (start >= _realSent)
                {
                    RealFirstTransmissions.Add(p.ToArray());
                    _realSent = EndOf(p, start);
                    while (Publication.Position < end && _nextMessage < _messages.Count)
                    {
                        Assert.Equal(OfferResult.Ok, Publication.Offer(_messages[_nextMessage++].Payload));
                    }
                }
                else
                {
                    RealRetransmissions.Add(p.ToArray());
                }
            }
            else if (closeAtFirstEos && DataFrame.IsHeartbeat(p) && (AeronFrame.Flags(p) & DataFrame.EndOfStreamFlag) != 0)
            {
                Publication.Close(now);
            }

            Work(now, ref oursSent, bits);
        }
    }

    private void Work(long now, ref long oursSent, int bits)
    {
        var sender = new Collector(this, now);
        Publication.DoWork(now, ref sender);
        for (int i = sender.Start; i < Sent.Count; i++)
        {
            byte[] p = Sent[i].Datagram;
            if (AeronFrame.Type(p) is FrameType.Data or FrameType.Pad && !DataFrame.IsHeartbeat(p))
            {
                long start = Pos(p, bits);
                if (start >= oursSent)
                {
                    OurFirstTransmissions.Add(p);
                    oursSent = EndOf(p, start);
                }
                else
                {
                    OurRetransmissions.Add(p);
                }
            }
        }
    }

    private long Pos(ReadOnlySpan<byte> p, int bits) =>
        LogPosition.Compute(DataFrame.TermId(p), DataFrame.TermOffset(p), bits, Publication.InitialTermId);

    /// <summary>Position after a data datagram: its end, or the end of the term when it ends with a PAD header.</summary>
    private long EndOf(ReadOnlySpan<byte> p, long start)
    {
        int o = 0;
        long end = start;
        while (o < p.Length)
        {
            int aligned = (BinaryPrimitives.ReadInt32LittleEndian(p[o..]) + 31) & ~31;
            end = start + o + aligned;
            o += Math.Min(aligned, p.Length - o);
        }

        return end;
    }

    /// <summary>Messages (fragments joined) in position order, first copy of each frame wins; with their end positions.</summary>
    private static List<(long, byte[])> Messages(List<UdpDatagram> toReceiver, int initialTermId, int termLength)
    {
        int bits = System.Numerics.BitOperations.Log2((uint)termLength);
        var frames = new SortedDictionary<long, (byte Flags, byte[] Payload, long End)>();
        foreach (UdpDatagram d in toReceiver)
        {
            byte[] p = d.Payload.ToArray();
            if (p.Length <= 32 || p[6] > 1)
            {
                continue;
            }

            for (int o = 0; o + 32 <= p.Length;)
            {
                int len = BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(o));
                int aligned = (len + 31) & ~31;
                long pos = ((long)(BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(o + 20)) - initialTermId) << bits)
                    + BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(o + 8));
                if (p[o + 6] == 1)
                {
                    frames.TryAdd(pos, (p[o + 5], p.AsSpan(o + 32, len - 32).ToArray(), pos + aligned));
                }

                o += aligned;
            }
        }

        var messages = new List<(long, byte[])>();
        var assembling = new List<byte>();
        foreach ((byte flags, byte[] payload, long end) in frames.Values)
        {
            if ((flags & 0x80) != 0)
            {
                assembling.Clear();
            }

            assembling.AddRange(payload);
            if ((flags & 0x40) != 0)
            {
                messages.Add((end, assembling.ToArray()));
            }
        }

        return messages;
    }

    /// <summary>
    /// The transport: takes everything except first transmissions the real publisher had not sent yet at this moment
    /// (like a socket that would block); those go out on a later duty cycle. That keeps our datagram boundaries where the
    /// real publisher's application timing put them (e.g. after a PAD the next message went out with later ones).
    /// </summary>
    private struct Collector(PublisherReplay replay, long now) : IDatagramSender
    {
        public readonly int Start = replay.Sent.Count;

        public readonly bool TrySend(ReadOnlySpan<byte> datagram)
        {
            if (AeronFrame.Type(datagram) is FrameType.Data or FrameType.Pad && !DataFrame.IsHeartbeat(datagram)
                && replay.Pos(datagram, replay._bits) >= replay._realSent)
            {
                return false;
            }

            replay.Sent.Add((now, datagram.ToArray()));
            return true;
        }

        public readonly int TrySendBatch(ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths)
        {
            Collector self = this;
            return DatagramBatch.SendEach(ref self, datagrams, lengths);
        }
    }
}
