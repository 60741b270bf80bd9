using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace LowLatency.Adapters.Aeron;

/// <summary>
/// The 8-byte header every Aeron frame starts with (PROTOCOL.md §2), frame alignment (§6.3) and the
/// little-endian field accessors the frame types share. All offsets are from the start of the frame.
/// </summary>
public static class AeronFrame
{
    /// <summary>§2: int32 frame_length, including the header, unaligned.</summary>
    public const int FrameLengthOffset = 0;

    /// <summary>§2: uint8 version, always <see cref="CurrentVersion"/>.</summary>
    public const int VersionOffset = 4;

    /// <summary>§2: uint8 flags, meaning depends on the type.</summary>
    public const int FlagsOffset = 5;

    /// <summary>§2: uint16 frame type (<see cref="FrameType"/>).</summary>
    public const int TypeOffset = 6;

    /// <summary>§2: length of the common header.</summary>
    public const int HeaderLength = 8;

    /// <summary>§2: the only version receivers accept.</summary>
    public const byte CurrentVersion = 0;

    /// <summary>§6.3: every DATA/PAD frame starts on a multiple of this within its term.</summary>
    public const int Alignment = 32;

    /// <summary>§12: largest UDP payload / mtu Aeron uses.</summary>
    public const int MaxUdpPayloadLength = 65504;

    /// <summary>Rounds <paramref name="length"/> up to the 32-byte frame alignment (§6.3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Align(int length) => (length + (Alignment - 1)) & ~(Alignment - 1);

    /// <summary>Whether <paramref name="value"/> is a multiple of the frame alignment.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsAligned(int value) => (value & (Alignment - 1)) == 0;

    /// <summary>Reads the frame_length field (§2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FrameLength(ReadOnlySpan<byte> frame) => ReadInt32(frame, FrameLengthOffset);

    /// <summary>Reads the version byte (§2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Version(ReadOnlySpan<byte> frame) => frame[VersionOffset];

    /// <summary>Reads the flags byte (§2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Flags(ReadOnlySpan<byte> frame) => frame[FlagsOffset];

    /// <summary>Reads the frame type (§2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FrameType Type(ReadOnlySpan<byte> frame) =>
        (FrameType)BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(TypeOffset));

    /// <summary>Writes the common header: frame_length, version 0, flags, type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteHeader(Span<byte> frame, int frameLength, byte flags, FrameType type)
    {
        BinaryPrimitives.WriteInt32LittleEndian(frame, frameLength);
        frame[VersionOffset] = CurrentVersion;
        frame[FlagsOffset] = flags;
        BinaryPrimitives.WriteUInt16LittleEndian(frame.Slice(TypeOffset), (ushort)type);
    }

    /// <summary>Little-endian int32 at <paramref name="offset"/> (bounds checked by the span).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadInt32(ReadOnlySpan<byte> frame, int offset) =>
        BinaryPrimitives.ReadInt32LittleEndian(frame.Slice(offset));

    /// <summary>Little-endian int64 at <paramref name="offset"/> (bounds checked by the span).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ReadInt64(ReadOnlySpan<byte> frame, int offset) =>
        BinaryPrimitives.ReadInt64LittleEndian(frame.Slice(offset));

    /// <summary>Writes a little-endian int32 at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteInt32(Span<byte> frame, int offset, int value) =>
        BinaryPrimitives.WriteInt32LittleEndian(frame.Slice(offset), value);

    /// <summary>Writes a little-endian int64 at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteInt64(Span<byte> frame, int offset, long value) =>
        BinaryPrimitives.WriteInt64LittleEndian(frame.Slice(offset), value);
}
