namespace LowLatency.Adapters.Aeron;

/// <summary>RTT measurement (type 6), 40 bytes, both directions (PROTOCOL.md §3.6).</summary>
public static class RttmFrame
{
    /// <summary>§3.6: int32 session id.</summary>
    public const int SessionIdOffset = 8;

    /// <summary>§3.6: int32 stream id.</summary>
    public const int StreamIdOffset = 12;

    /// <summary>§3.6: int64 requester's timestamp, echoed unchanged.</summary>
    public const int EchoTimestampOffset = 16;

    /// <summary>§3.6: int64 time the echoer held the request.</summary>
    public const int ReceptionDeltaOffset = 24;

    /// <summary>§3.6: int64 requester's receiver id.</summary>
    public const int ReceiverIdOffset = 32;

    /// <summary>§3.6: frame length.</summary>
    public const int Length = 40;

    /// <summary>§3.6 flag: "please echo this".</summary>
    public const byte ReplyFlag = 0x80;

    /// <summary>Session id field.</summary>
    public static int SessionId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, SessionIdOffset);

    /// <summary>Stream id field.</summary>
    public static int StreamId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, StreamIdOffset);

    /// <summary>Echo timestamp field.</summary>
    public static long EchoTimestamp(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt64(frame, EchoTimestampOffset);

    /// <summary>Reception delta field.</summary>
    public static long ReceptionDelta(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt64(frame, ReceptionDeltaOffset);

    /// <summary>Receiver id field.</summary>
    public static long ReceiverId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt64(frame, ReceiverIdOffset);

    /// <summary>Writes an RTTM; returns its length.</summary>
    public static int Write(
        Span<byte> frame, byte flags, int sessionId, int streamId, long echoTimestamp, long receptionDelta, long receiverId)
    {
        AeronFrame.WriteHeader(frame, Length, flags, FrameType.Rttm);
        AeronFrame.WriteInt32(frame, SessionIdOffset, sessionId);
        AeronFrame.WriteInt32(frame, StreamIdOffset, streamId);
        AeronFrame.WriteInt64(frame, EchoTimestampOffset, echoTimestamp);
        AeronFrame.WriteInt64(frame, ReceptionDeltaOffset, receptionDelta);
        AeronFrame.WriteInt64(frame, ReceiverIdOffset, receiverId);
        return Length;
    }
}
