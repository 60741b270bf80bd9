namespace LowLatency.Adapters.Aeron;

/// <summary>
/// Counters of one <see cref="AeronPublication"/>. Plain fields written only by the thread driving the publication; a
/// monitor on another thread sees slightly stale values, which is fine for counters.
/// </summary>
public sealed class AeronPublicationCounters
{
    private readonly long[] _rejects = new long[Enum.GetValues<PublicationRejectReason>().Length];

    /// <summary>Messages appended to the log.</summary>
    public long MessagesOffered;

    /// <summary>Offers refused because the publication window was full.</summary>
    public long BackPressured;

    /// <summary>Offers refused because no receiver was connected.</summary>
    public long NotConnected;

    /// <summary>PAD frames written at term ends.</summary>
    public long PadFrames;

    /// <summary>SETUP frames sent.</summary>
    public long SetupsSent;

    /// <summary>Data datagrams sent the first time (not retransmissions).</summary>
    public long DataDatagramsSent;

    /// <summary>Bytes in those datagrams.</summary>
    public long DataBytesSent;

    /// <summary>Heartbeats sent (with or without EOS).</summary>
    public long HeartbeatsSent;

    /// <summary>Status messages accepted.</summary>
    public long StatusMessagesReceived;

    /// <summary>Status messages with SEND_SETUP (a receiver asking for a SETUP).</summary>
    public long SetupRequests;

    /// <summary>Status messages with EOS (a receiver leaving).</summary>
    public long EndOfStreamStatusMessages;

    /// <summary>NAKs received.</summary>
    public long NaksReceived;

    /// <summary>Datagrams retransmitted in answer to NAKs.</summary>
    public long RetransmitDatagrams;

    /// <summary>Bytes retransmitted.</summary>
    public long RetransmitBytes;

    /// <summary>ERR frames received (a receiver rejected this publication).</summary>
    public long ErrorsReceived;

    /// <summary>RTTM echoes sent.</summary>
    public long RttmReplies;

    /// <summary>Times the transport refused a datagram (it is retried on a later duty cycle).</summary>
    public long SendFailures;

    /// <summary>Receivers evicted for not sending SMs within the connection timeout.</summary>
    public long ReceiversTimedOut;

    /// <summary>How many control frames were ignored for <paramref name="reason"/>.</summary>
    public long Rejected(PublicationRejectReason reason) => _rejects[(int)reason];

    /// <summary>Total ignored control frames over all reasons.</summary>
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

    internal void Reject(PublicationRejectReason reason) => _rejects[(int)reason]++;
}
