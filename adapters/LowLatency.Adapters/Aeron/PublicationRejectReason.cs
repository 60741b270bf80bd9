namespace LowLatency.Adapters.Aeron;

/// <summary>Why a publication ignored a control frame; each has a counter in <see cref="AeronPublicationCounters"/>.</summary>
public enum PublicationRejectReason
{
    /// <summary>Shorter than its type's minimum, or frame_length beyond the datagram (§5).</summary>
    ShortControlFrame,

    /// <summary>SM with an unaligned or out-of-term offset, a window outside [0, term/2], or a position more than term/2 from the sender's (§5, 1.51+/1.53).</summary>
    InvalidStatusMessage,

    /// <summary>NAK with a negative length, or an offset/length outside the term (§5).</summary>
    InvalidNak,

    /// <summary>NAK for data not sent yet or no longer retained (§8.5): ignored as the C driver does.</summary>
    NakOutOfRange,

    /// <summary>NAK whose offset is not the start of a frame in the log.</summary>
    NakNotAtFrame,

    /// <summary>NAK overlapping a range retransmitted within the linger time (§8.5).</summary>
    NakLingering,

    /// <summary>Too many retransmissions queued at once.</summary>
    RetransmitQueueFull,

    /// <summary>ERR frame failing validation (§3.7).</summary>
    InvalidError,

    /// <summary>Frame type a sender does not handle (§4).</summary>
    NotForSender,
}
