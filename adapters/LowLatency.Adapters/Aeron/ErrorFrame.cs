namespace LowLatency.Adapters.Aeron;

/// <summary>ERR (type 4), 40 bytes + error text, receiver → sender (PROTOCOL.md §3.7).</summary>
public static class ErrorFrame
{
    /// <summary>§3.7: int32 session id.</summary>
    public const int SessionIdOffset = 8;

    /// <summary>§3.7: int32 stream id.</summary>
    public const int StreamIdOffset = 12;

    /// <summary>§3.7: int64 receiver id.</summary>
    public const int ReceiverIdOffset = 16;

    /// <summary>§3.7: int64 group tag (valid when <see cref="GroupTagFlag"/> is set).</summary>
    public const int GroupTagOffset = 24;

    /// <summary>§3.7: int32 Aeron error code.</summary>
    public const int ErrorCodeOffset = 32;

    /// <summary>§3.7: int32 length of the error text.</summary>
    public const int ErrorLengthOffset = 36;

    /// <summary>§3.7: the error text starts here.</summary>
    public const int HeaderLength = 40;

    /// <summary>§3.7: longest error text.</summary>
    public const int MaxErrorLength = 1023;

    /// <summary>§3.7 flag: group tag present.</summary>
    public const byte GroupTagFlag = 0x08;

    /// <summary>§3.7: the code the driver sends for a rejected image.</summary>
    public const int ImageRejectedCode = 13;

    /// <summary>Session id field.</summary>
    public static int SessionId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, SessionIdOffset);

    /// <summary>Stream id field.</summary>
    public static int StreamId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, StreamIdOffset);

    /// <summary>Receiver id field.</summary>
    public static long ReceiverId(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt64(frame, ReceiverIdOffset);

    /// <summary>Group tag field.</summary>
    public static long GroupTag(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt64(frame, GroupTagOffset);

    /// <summary>Error code field.</summary>
    public static int ErrorCode(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, ErrorCodeOffset);

    /// <summary>Error text length field.</summary>
    public static int ErrorLength(ReadOnlySpan<byte> frame) => AeronFrame.ReadInt32(frame, ErrorLengthOffset);

    /// <summary>Master/1.53 validation (§3.7): 0 ≤ error_length ≤ 1023 and 40 + error_length ≤ frame_length ≤ datagram.</summary>
    public static bool IsValid(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < HeaderLength)
        {
            return false;
        }

        int frameLength = AeronFrame.FrameLength(frame);
        int errorLength = ErrorLength(frame);
        return errorLength >= 0 && errorLength <= MaxErrorLength
            && HeaderLength + errorLength <= frameLength && frameLength <= frame.Length;
    }

    /// <summary>The error text bytes of a frame that passed <see cref="IsValid"/>.</summary>
    public static ReadOnlySpan<byte> ErrorText(ReadOnlySpan<byte> frame) => frame.Slice(HeaderLength, ErrorLength(frame));

    /// <summary>Writes an ERR frame with <paramref name="text"/> (truncated to 1023 bytes); returns its length.</summary>
    public static int Write(
        Span<byte> frame, int sessionId, int streamId, long receiverId, long? groupTag, int errorCode, ReadOnlySpan<byte> text)
    {
        int textLength = Math.Min(text.Length, MaxErrorLength);
        int length = HeaderLength + textLength;
        AeronFrame.WriteHeader(frame, length, groupTag.HasValue ? GroupTagFlag : (byte)0, FrameType.Error);
        AeronFrame.WriteInt32(frame, SessionIdOffset, sessionId);
        AeronFrame.WriteInt32(frame, StreamIdOffset, streamId);
        AeronFrame.WriteInt64(frame, ReceiverIdOffset, receiverId);
        AeronFrame.WriteInt64(frame, GroupTagOffset, groupTag ?? 0);
        AeronFrame.WriteInt32(frame, ErrorCodeOffset, errorCode);
        AeronFrame.WriteInt32(frame, ErrorLengthOffset, textLength);
        text.Slice(0, textLength).CopyTo(frame.Slice(HeaderLength));
        return length;
    }
}
