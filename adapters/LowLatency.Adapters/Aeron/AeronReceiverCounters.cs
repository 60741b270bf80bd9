namespace LowLatency.Adapters.Aeron;

/// <summary>
/// Counters of one <see cref="AeronReceiver"/>. Plain fields written only by the receiving thread; a monitor reading them
/// from another thread sees slightly stale values, which is fine for counters.
/// </summary>
public sealed class AeronReceiverCounters
{
    private readonly long[] _rejects = new long[Enum.GetValues<ReceiverRejectReason>().Length];

    /// <summary>Datagrams passed to the receiver.</summary>
    public long Datagrams;

    /// <summary>Bytes in those datagrams.</summary>
    public long Bytes;

    /// <summary>DATA frames (not heartbeats) in accepted packets.</summary>
    public long DataFrames;

    /// <summary>PAD frames in accepted packets.</summary>
    public long PadFrames;

    /// <summary>Heartbeats accepted.</summary>
    public long Heartbeats;

    /// <summary>SETUP frames accepted.</summary>
    public long Setups;

    /// <summary>RTTM frames received.</summary>
    public long RttmReceived;

    /// <summary>Frames not inserted because they were already held or already consumed (duplicates, retransmits).</summary>
    public long DuplicateFrames;

    /// <summary>Messages delivered to the handler.</summary>
    public long MessagesDelivered;

    /// <summary>Payload bytes delivered to the handler.</summary>
    public long BytesDelivered;

    /// <summary>Gaps found by the loss detector (each distinct gap once).</summary>
    public long GapsDetected;

    /// <summary>Status messages queued.</summary>
    public long StatusMessagesSent;

    /// <summary>Status messages with the SEND_SETUP flag queued (SETUP elicitations).</summary>
    public long SetupsElicited;

    /// <summary>NAKs queued.</summary>
    public long NaksSent;

    /// <summary>RTTM replies queued.</summary>
    public long RttmReplies;

    /// <summary>Control frames dropped because the outbox was full.</summary>
    public long OutboxFull;

    /// <summary>Images created from SETUP.</summary>
    public long ImagesCreated;

    /// <summary>Images removed (end of stream or liveness timeout).</summary>
    public long ImagesRemoved;

    /// <summary>Images removed because no data or heartbeat arrived within the liveness timeout.</summary>
    public long ImageLivenessTimeouts;

    /// <summary>Images that reached end of stream.</summary>
    public long EndOfStreams;

    /// <summary>Partially reassembled messages thrown away because a new BEGIN arrived (§6.5).</summary>
    public long FragmentsDiscarded;

    /// <summary>How many datagrams or frames were dropped for <paramref name="reason"/>.</summary>
    public long Rejected(ReceiverRejectReason reason) => _rejects[(int)reason];

    /// <summary>Total rejects over all reasons.</summary>
    public long TotalRejected
    {
        get
        {
            long sum = 0;
            foreach (long r in _rejects)
            {
                sum += r;
            }

            return sum;
        }
    }

    internal void Reject(ReceiverRejectReason reason) => _rejects[(int)reason]++;
}
