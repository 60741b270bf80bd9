using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LowLatency.Adapters.Sbe;

/// <summary>
/// Copies a root block between the wire and an engine struct whose layout equals the block (the schema
/// test pins every field offset of both to the XML). One length check, then one unaligned copy: this is
/// why decoding costs a few nanoseconds. Validation of field values is the caller's, right after.
/// </summary>
internal static class BlockCodec
{
    /// <summary>Writes header + block; returns the bytes written, or 0 when <paramref name="buffer"/> is too small.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Encode<T>(Span<byte> buffer, TemplateId template, int blockLength, in T value)
        where T : unmanaged
    {
        EnsureLittleEndian();
        int length = WireSchema.HeaderLength + blockLength;
        if (buffer.Length < length)
        {
            return 0;
        }

        MessageHeader.Write(buffer, template, blockLength);
        Unsafe.WriteUnaligned(ref buffer[WireSchema.HeaderLength], value);
        return length;
    }

    /// <summary>Checks the header and copies the block into <paramref name="value"/>; <paramref name="length"/> is the message length including a longer (newer) block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DecodeStatus Decode<T>(ReadOnlySpan<byte> buffer, TemplateId template, int blockLength, out T value, out int length, out ushort version)
        where T : unmanaged
    {
        EnsureLittleEndian();
        var status = MessageHeader.Check(buffer, template, blockLength, out var header);
        if (status != DecodeStatus.Ok)
        {
            value = default;
            length = 0;
            version = 0;
            return status;
        }

        value = Unsafe.ReadUnaligned<T>(ref MemoryMarshal.GetReference(buffer.Slice(WireSchema.HeaderLength, blockLength)));
        length = WireSchema.HeaderLength + header.BlockLength;
        version = header.Version;
        return DecodeStatus.Ok;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void EnsureLittleEndian()
    {
        // A JIT-time constant: the check vanishes on little-endian machines (all that .NET runs on here).
        if (!BitConverter.IsLittleEndian)
        {
            ThrowBigEndian();
        }
    }

    [DoesNotReturn]
    private static void ThrowBigEndian() => throw new PlatformNotSupportedException("The wire codec copies blocks directly and needs a little-endian machine.");
}
