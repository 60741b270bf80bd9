namespace LowLatency.Adapters.Aeron;

/// <summary>SETUP frame (type 5), 40 bytes, sender → receiver (PROTOCOL.md §3.3).</summary>
public static class SetupFrame
{
    /// <summary>§3.3: int32 term offset of the sender position.</summary>
    public const int TermOffsetOffset = 8;

    /// <summary>§3.3: int32 session id.</summary>
    public const int SessionIdOffset = 12;

    /// <summary>§3.3: int32 stream id.</summary>
    public const int StreamIdOffset = 16;

    /// <summary>§3.3: int32 term id at position 0.</summary>
    public const int InitialTermIdOffset = 20;

    /// <summary>§3.3: int32 term id of the sender position.</summary>
    public const int ActiveTermIdOffset = 24;

    /// <summary>§3.3: int32 term length, a power of two in [64 KiB, 1 GiB].</summary>
    public const int TermLengthOffset = 28;

    /// <summary>§3.3: int32 mtu, a multiple of 32 in [32, 65504].</summary>
    public const int MtuOffset = 32;

    /// <summary>§3.3: int32 multicast ttl, 0 for unicast.</summary>
    public const int TtlOffset = 36;

    /// <summary>§3.3: frame length.</summary>
    public const int Length = 40;

    /// <summary>§3.3 flag: the publication wants a response channel.</summary>
    public const byte SendResponseSetupFlag = 0x80;

    /// <summary>§3.3 flag: group semantics.</summary>
    public const byte GroupFlag = 0x40;

    /// <summary>Term offset field.</summary>
    public static int TermOffset(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, TermOffsetOffset);

    /// <summary>Session id field.</summary>
    public static int SessionId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, SessionIdOffset);

    /// <summary>Stream id field.</summary>
    public static int StreamId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, StreamIdOffset);

    /// <summary>Initial term id field.</summary>
    public static int InitialTermId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, InitialTermIdOffset);

    /// <summary>Active term id field.</summary>
    public static int ActiveTermId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, ActiveTermIdOffset);

    /// <summary>Term length field.</summary>
    public static int TermLength(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, TermLengthOffset);

    /// <summary>Mtu field.</summary>
    public static int Mtu(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, MtuOffset);

    /// <summary>Ttl field.</summary>
    public static int Ttl(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, TtlOffset);

    /// <summary>
    /// The master/1.53 SETUP validation (§3.3): term length a power of two in [64 KiB, 1 GiB], term offset in
    /// [0, term length) and aligned, mtu in [32, 65504] and aligned.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<byte> frame)
    {
        int termLength = TermLength(frame);
        int termOffset = TermOffset(frame);
        int mtu = Mtu(frame);
        return LogPosition.IsValidTermLength(termLength)
            && termOffset >= 0 && termOffset < termLength && AeronFrame.IsAligned(termOffset)
            && mtu >= DataFrame.HeaderLength && mtu <= AeronFrame.MaxUdpPayloadLength && AeronFrame.IsAligned(mtu);
    }

    /// <summary>Writes a complete SETUP frame into <paramref name="frame"/> (≥ 40 bytes).</summary>
    public static void Write(
        Span<byte> frame, byte flags, int termOffset, int sessionId, int streamId,
        int initialTermId, int activeTermId, int termLength, int mtu, int ttl = 0)
    {
        AeronFrame.WriteHeader(frame, Length, flags, FrameType.Setup);
        AeronFrame.WriteInt32(frame, TermOffsetOffset, termOffset);
        AeronFrame.WriteInt32(frame, SessionIdOffset, sessionId);
        AeronFrame.WriteInt32(frame, StreamIdOffset, streamId);
        AeronFrame.WriteInt32(frame, InitialTermIdOffset, initialTermId);
        AeronFrame.WriteInt32(frame, ActiveTermIdOffset, activeTermId);
        AeronFrame.WriteInt32(frame, TermLengthOffset, termLength);
        AeronFrame.WriteInt32(frame, MtuOffset, mtu);
        AeronFrame.WriteInt32(frame, TtlOffset, ttl);
    }
}
