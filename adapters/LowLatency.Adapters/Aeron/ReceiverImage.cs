namespace LowLatency.Adapters.Aeron;

/// <summary>
/// State of one (stream id, session id) publication seen by an <see cref="AeronReceiver"/> (PROTOCOL.md §9).
/// The term buffer holds one term indexed by term offset: data is only accepted within term/2 of the last SM position
/// (§9.4) and consumed bytes are zeroed, so one term is enough to rebuild the log across term boundaries.
/// </summary>
internal sealed class ReceiverImage
{
    internal enum ImageState
    {
        Active,
        Draining,
    }

    internal readonly int SessionId;
    internal readonly int StreamId;
    internal readonly int InitialTermId;
    internal readonly int TermLength;
    internal readonly int PositionBits;
    internal readonly int Mtu;
    internal readonly int Window;
    internal readonly long JoinPosition;
    internal readonly byte[] Term;

    internal int SourceId;
    internal ImageState State;

    /// <summary>Everything before this has been delivered (and zeroed in the term); the consumption position.</summary>
    internal long RebuildPosition;

    /// <summary>Highest position seen in data or heartbeats.</summary>
    internal long HighWaterMark;

    /// <summary>Position of the last scheduled SM (§9.3): the flow-control reference for over/under-run checks.</summary>
    internal long LastSmPosition;
    internal long LastSmTimeNs;
    internal bool SmDue;

    internal long EndOfStreamPosition = long.MaxValue;
    internal long LastPacketNs;
    internal long DrainDeadlineNs;

    internal bool GapActive;
    internal int GapTermId;
    internal int GapTermOffset;
    internal int GapLength;
    internal long NakDeadlineNs = long.MaxValue;

    internal byte[]? Reassembly;
    internal int ReassemblyLength;
    internal bool Assembling;

    internal ReceiverImage(
        int sessionId, int streamId, int initialTermId, int activeTermId, int termOffset, int termLength, int mtu,
        int window, int sourceId, long nowNs)
    {
        SessionId = sessionId;
        StreamId = streamId;
        InitialTermId = initialTermId;
        TermLength = termLength;
        PositionBits = LogPosition.PositionBitsToShift(termLength);
        Mtu = mtu;
        Window = window;
        SourceId = sourceId;
        Term = LowLatency.Models.CommittedArray.Allocate<byte>(termLength);
        JoinPosition = LogPosition.Compute(activeTermId, termOffset, PositionBits, initialTermId);
        RebuildPosition = JoinPosition;
        HighWaterMark = JoinPosition;
        LastSmPosition = JoinPosition;
        LastPacketNs = nowNs;
        SmDue = true; // §9.3: the first SM goes out at once; the sender sends nothing before it.
    }

    internal int MaxMessageLength => LogPosition.MaxMessageLength(TermLength);
}
