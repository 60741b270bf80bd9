namespace LowLatency.Adapters.Aeron;

/// <summary>NAK (type 2), 28 bytes, receiver → sender (PROTOCOL.md §3.5).</summary>
public static class NakFrame
{
    /// <summary>§3.5: int32 session id.</summary>
    public const int SessionIdOffset = 8;

    /// <summary>§3.5: int32 stream id.</summary>
    public const int StreamIdOffset = 12;

    /// <summary>§3.5: int32 term id of the gap.</summary>
    public const int TermIdOffset = 16;

    /// <summary>§3.5: int32 gap start within the term, a multiple of 32.</summary>
    public const int TermOffsetOffset = 20;

    /// <summary>§3.5: int32 gap length, a multiple of 32, never past the term end.</summary>
    public const int LengthOffset = 24;

    /// <summary>§3.5: frame length.</summary>
    public const int Length = 28;

    /// <summary>Session id field.</summary>
    public static int SessionId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, SessionIdOffset);

    /// <summary>Stream id field.</summary>
    public static int StreamId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, StreamIdOffset);

    /// <summary>Term id field.</summary>
    public static int TermId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, TermIdOffset);

    /// <summary>Term offset field.</summary>
    public static int TermOffset(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, TermOffsetOffset);

    /// <summary>Gap length field.</summary>
    public static int GapLength(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, LengthOffset);

    /// <summary>Writes a NAK; returns its length.</summary>
    public static int Write(Span<byte> frame, int sessionId, int streamId, int termId, int termOffset, int length)
    {
        AeronFrame.WriteHeader(frame, Length, 0, FrameType.Nak);
        AeronFrame.WriteInt32(frame, SessionIdOffset, sessionId);
        AeronFrame.WriteInt32(frame, StreamIdOffset, streamId);
        AeronFrame.WriteInt32(frame, TermIdOffset, termId);
        AeronFrame.WriteInt32(frame, TermOffsetOffset, termOffset);
        AeronFrame.WriteInt32(frame, LengthOffset, length);
        return Length;
    }
}
