namespace LowLatency.Adapters.Aeron;

/// <summary>Why the receiver dropped a datagram or frame; each has a counter in <see cref="AeronReceiverCounters"/>.</summary>
public enum ReceiverRejectReason
{
    /// <summary>Shorter than the 8-byte common header (§5).</summary>
    ShortDatagram,

    /// <summary>Version byte not 0 (§2, §5).</summary>
    UnsupportedVersion,

    /// <summary>frame_length negative, or larger than the datagram for a control frame (§5).</summary>
    BadFrameLength,

    /// <summary>DATA/PAD datagram shorter than 32 bytes or not a multiple of 32 (§5, master/1.53).</summary>
    DataDatagramNotAligned,

    /// <summary>Control frame shorter than its type's minimum (§5).</summary>
    ShortControlFrame,

    /// <summary>Frame type this endpoint does not know (§2).</summary>
    UnknownFrameType,

    /// <summary>SM, NAK, ERR or RSP_SETUP arriving at a receiver (§4): not ours to handle.</summary>
    ControlFrameForSender,

    /// <summary>SETUP failing the master/1.53 field validation (§3.3).</summary>
    InvalidSetup,

    /// <summary>DATA packet failing the frame walk (§5): bad offsets, types, lengths, trailing bytes.</summary>
    InvalidDataPacket,

    /// <summary>Stream this receiver does not subscribe to.</summary>
    UnsubscribedStream,

    /// <summary>DATA or heartbeat for a session without an image (a SETUP is elicited, §9.2).</summary>
    UnknownSession,

    /// <summary>Session recently removed without EOS; ignored until its cool-down ends (§9.2).</summary>
    SessionCoolingDown,

    /// <summary>No room for another image.</summary>
    TooManyImages,

    /// <summary>Data beyond last SM position + term/2 (§9.4).</summary>
    Overrun,

    /// <summary>Heartbeat too far behind, or term id before the initial term id (§9.4).</summary>
    Underrun,

    /// <summary>Message fragment without its BEGIN, or a message longer than the maximum (§6.5).</summary>
    FragmentOutOfSync,

    /// <summary>RTTM not addressed to this receiver id (§3.6).</summary>
    RttmNotForUs,

    /// <summary>Datagram from a source the endpoint's allow-list does not name (<see cref="Udp.UdpEndpointOptions.AllowedSources"/>).</summary>
    SourceNotAllowed,
}
