using System.Runtime.CompilerServices;

namespace LowLatency.Adapters.Aeron;

/// <summary>
/// DATA (type 1), PAD (type 0) and heartbeat frames: a 32-byte header followed by the payload
/// (PROTOCOL.md §3.1, §3.2). The header layout is shared by all three.
/// </summary>
public static class DataFrame
{
    /// <summary>§3.1: int32 offset of this frame within its term, a multiple of 32.</summary>
    public const int TermOffsetOffset = 8;

    /// <summary>§3.1: int32 session id of the publication.</summary>
    public const int SessionIdOffset = 12;

    /// <summary>§3.1: int32 stream id.</summary>
    public const int StreamIdOffset = 16;

    /// <summary>§3.1: int32 term id (wraps).</summary>
    public const int TermIdOffset = 20;

    /// <summary>§3.1: int64 application reserved value, passed through uninterpreted.</summary>
    public const int ReservedValueOffset = 24;

    /// <summary>§3.1: length of the DATA/PAD header; the payload starts here.</summary>
    public const int HeaderLength = 32;

    /// <summary>§3.1 flag: first fragment of a message.</summary>
    public const byte BeginFlag = 0x80;

    /// <summary>§3.1 flag: last fragment of a message.</summary>
    public const byte EndFlag = 0x40;

    /// <summary>§3.1 flag: end of stream (on heartbeats).</summary>
    public const byte EndOfStreamFlag = 0x20;

    /// <summary>§3.1 flag: publication revoked (with EOS, on heartbeats; 1.48+).</summary>
    public const byte RevokedFlag = 0x10;

    /// <summary>BEGIN|END: an unfragmented message, and the flags of PAD frames and plain heartbeats.</summary>
    public const byte UnfragmentedFlags = BeginFlag | EndFlag;

    /// <summary>Term offset field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TermOffset(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, TermOffsetOffset);

    /// <summary>Session id field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SessionId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, SessionIdOffset);

    /// <summary>Stream id field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int StreamId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, StreamIdOffset);

    /// <summary>Term id field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TermId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, TermIdOffset);

    /// <summary>Reserved value field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ReservedValue(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt64(frame, ReservedValueOffset);

    /// <summary>§3.2: a heartbeat is a datagram of exactly 32 bytes whose frame_length is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsHeartbeat(ReadOnlySpan<byte> datagram) =>
        datagram.Length == HeaderLength && AeronFrame.FrameLength(datagram) == 0;

    /// <summary>Writes a full 32-byte DATA/PAD/heartbeat header.</summary>
    public static void WriteHeader(
        Span<byte> frame, int frameLength, byte flags, FrameType type,
        int termOffset, int sessionId, int streamId, int termId, long reservedValue = 0)
    {
        AeronFrame.WriteHeader(frame, frameLength, flags, type);
        AeronFrame.WriteInt32(frame, TermOffsetOffset, termOffset);
        AeronFrame.WriteInt32(frame, SessionIdOffset, sessionId);
        AeronFrame.WriteInt32(frame, StreamIdOffset, streamId);
        AeronFrame.WriteInt32(frame, TermIdOffset, termId);
        AeronFrame.WriteInt64(frame, ReservedValueOffset, reservedValue);
    }
}
