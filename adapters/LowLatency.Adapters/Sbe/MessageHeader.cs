using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace LowLatency.Adapters.Sbe;

/// <summary>The 8-byte SBE message header, read from or written to the start of a buffer.</summary>
/// <param name="BlockLength">Length of the root block that follows.</param>
/// <param name="TemplateId">Which message.</param>
/// <param name="SchemaId">Which schema.</param>
/// <param name="Version">Schema version the sender encoded with.</param>
public readonly record struct MessageHeader(ushort BlockLength, ushort TemplateId, ushort SchemaId, ushort Version)
{
    /// <summary>Offset of blockLength in the header.</summary>
    public const int BlockLengthOffset = 0;
    /// <summary>Offset of templateId.</summary>
    public const int TemplateIdOffset = 2;
    /// <summary>Offset of schemaId.</summary>
    public const int SchemaIdOffset = 4;
    /// <summary>Offset of version.</summary>
    public const int VersionOffset = 6;

    /// <summary>Reads a header; false when the buffer is shorter than a header.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> buffer, out MessageHeader header)
    {
        if (buffer.Length < WireSchema.HeaderLength)
        {
            header = default;
            return false;
        }

        ulong raw = BinaryPrimitives.ReadUInt64LittleEndian(buffer);
        header = new MessageHeader((ushort)raw, (ushort)(raw >> 16), (ushort)(raw >> 32), (ushort)(raw >> 48));
        return true;
    }

    /// <summary>Writes a header for <paramref name="template"/> of our schema and version.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(Span<byte> buffer, TemplateId template, int blockLength)
    {
        ulong raw = (ushort)blockLength | ((ulong)(ushort)template << 16) | ((ulong)WireSchema.SchemaId << 32) | ((ulong)WireSchema.Version << 48);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, raw);
    }

    /// <summary>
    /// Validates the header of a message expected to be <paramref name="template"/> with at least
    /// <paramref name="minBlockLength"/> bytes of root block, all present in <paramref name="buffer"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DecodeStatus Check(ReadOnlySpan<byte> buffer, TemplateId template, int minBlockLength, out MessageHeader header)
    {
        if (!TryRead(buffer, out header))
        {
            return DecodeStatus.ShortBuffer;
        }

        if (header.SchemaId != WireSchema.SchemaId)
        {
            return DecodeStatus.WrongSchemaId;
        }

        if (header.TemplateId != (ushort)template)
        {
            return DecodeStatus.UnknownTemplate;
        }

        if (header.BlockLength < minBlockLength)
        {
            return DecodeStatus.BlockLengthTooSmall;
        }

        return buffer.Length < WireSchema.HeaderLength + header.BlockLength ? DecodeStatus.ShortBuffer : DecodeStatus.Ok;
    }
}
