namespace LowLatency.Adapters.Aeron;

/// <summary>Status message (type 3), 36 bytes or 44 with a group tag, receiver → sender (PROTOCOL.md §3.4).</summary>
public static class StatusMessageFrame
{
    /// <summary>§3.4: int32 session id.</summary>
    public const int SessionIdOffset = 8;

    /// <summary>§3.4: int32 stream id.</summary>
    public const int StreamIdOffset = 12;

    /// <summary>§3.4: int32 term id of the consumption position.</summary>
    public const int ConsumptionTermIdOffset = 16;

    /// <summary>§3.4: int32 term offset of the consumption position.</summary>
    public const int ConsumptionTermOffsetOffset = 20;

    /// <summary>§3.4: int32 receiver window in bytes.</summary>
    public const int ReceiverWindowOffset = 24;

    /// <summary>§3.4: int64 receiver id.</summary>
    public const int ReceiverIdOffset = 28;

    /// <summary>§3.4: optional int64 group tag, present when frame_length is <see cref="LengthWithGroupTag"/>.</summary>
    public const int GroupTagOffset = 36;

    /// <summary>§3.4: length without group tag.</summary>
    public const int Length = 36;

    /// <summary>§3.4: length with group tag.</summary>
    public const int LengthWithGroupTag = 44;

    /// <summary>§3.4 flag: "unknown session, send me a SETUP".</summary>
    public const byte SendSetupFlag = 0x80;

    /// <summary>§3.4 flag: the receiver image is going away.</summary>
    public const byte EndOfStreamFlag = 0x40;

    /// <summary>Session id field.</summary>
    public static int SessionId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, SessionIdOffset);

    /// <summary>Stream id field.</summary>
    public static int StreamId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, StreamIdOffset);

    /// <summary>Consumption term id field.</summary>
    public static int ConsumptionTermId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, ConsumptionTermIdOffset);

    /// <summary>Consumption term offset field.</summary>
    public static int ConsumptionTermOffset(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, ConsumptionTermOffsetOffset);

    /// <summary>Receiver window field.</summary>
    public static int ReceiverWindow(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, ReceiverWindowOffset);

    /// <summary>Receiver id field.</summary>
    public static long ReceiverId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt64(frame, ReceiverIdOffset);

    /// <summary>Group tag if the frame carries one (frame_length ≥ 44 and the datagram holds it).</summary>
    public static bool TryGetGroupTag(ReadOnlySpan<byte> frame, out long groupTag)
    {
        if (frame.Length >= LengthWithGroupTag && AeronFrame.FrameLength(frame) >= LengthWithGroupTag)
        {
            groupTag = AeronFrame.ReadInt64(frame, GroupTagOffset);
            return true;
        }

        groupTag = 0;
        return false;
    }

    /// <summary>Writes a status message; returns its length (36, or 44 with <paramref name="groupTag"/>).</summary>
    public static int Write(
        Span<byte> frame, byte flags, int sessionId, int streamId, int consumptionTermId,
        int consumptionTermOffset, int receiverWindow, long receiverId, long? groupTag = null)
    {
        int length = groupTag.HasValue ? LengthWithGroupTag : Length;
        AeronFrame.WriteHeader(frame, length, flags, FrameType.StatusMessage);
        AeronFrame.WriteInt32(frame, SessionIdOffset, sessionId);
        AeronFrame.WriteInt32(frame, StreamIdOffset, streamId);
        AeronFrame.WriteInt32(frame, ConsumptionTermIdOffset, consumptionTermId);
        AeronFrame.WriteInt32(frame, ConsumptionTermOffsetOffset, consumptionTermOffset);
        AeronFrame.WriteInt32(frame, ReceiverWindowOffset, receiverWindow);
        AeronFrame.WriteInt64(frame, ReceiverIdOffset, receiverId);
        if (groupTag.HasValue)
        {
            AeronFrame.WriteInt64(frame, GroupTagOffset, groupTag.Value);
        }

        return length;
    }
}
