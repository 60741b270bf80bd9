using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace LowLatency.Engine.Journal;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of iSCSI, ext4 and most log formats:
/// x86 SSE4.2 and ARMv8 compute it in one instruction per 8 bytes, so checking every journal record costs a
/// few nanoseconds. <see cref="ComputeScalar"/> is the table-free bitwise reference the tests compare against.
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;

    /// <summary>The CRC of <paramref name="data"/> (initial value and final xor ~0, as the standard defines).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(~0u, data);

    /// <summary>
    /// Continues a running register (start with <c>~0u</c>; the final CRC is <c>~register</c>). Lets a record's
    /// checksum cover fields that are not contiguous without copying them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Append(uint register, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
        {
            return AppendSse42(register, data);
        }

        if (Crc32.Arm64.IsSupported)
        {
            return AppendArm64(register, data);
        }

        return AppendScalar(register, data);
    }

    /// <summary>Continues the register over one little-endian 32-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Append(uint register, uint value)
    {
        if (Sse42.IsSupported)
        {
            return Sse42.Crc32(register, value);
        }

        return AppendWithoutSse42(register, value);
    }

    /// <summary>The bitwise definition, one bit at a time: slow, obviously right, the reference for tests.</summary>
    public static uint ComputeScalar(ReadOnlySpan<byte> data) => ~AppendScalar(~0u, data);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static uint AppendWithoutSse42(uint register, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return Crc32.Arm64.IsSupported ? AppendArm64(register, bytes) : AppendScalar(register, bytes);
    }

    private static uint AppendScalar(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ Polynomial : crc >> 1;
            }
        }

        return crc;
    }

    private static uint AppendSse42(uint crc, ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        nuint n = (nuint)data.Length;
        nuint i = 0;
        ulong c = crc;
        for (; i + 8 <= n; i += 8)
        {
            c = Sse42.X64.Crc32(c, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i)));
        }

        crc = (uint)c;
        if (i + 4 <= n)
        {
            crc = Sse42.Crc32(crc, Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref p, i)));
            i += 4;
        }

        for (; i < n; i++)
        {
            crc = Sse42.Crc32(crc, Unsafe.Add(ref p, i));
        }

        return crc;
    }

    private static uint AppendArm64(uint crc, ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        nuint n = (nuint)data.Length;
        nuint i = 0;
        for (; i + 8 <= n; i += 8)
        {
            crc = Crc32.Arm64.ComputeCrc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i)));
        }

        for (; i < n; i++)
        {
            crc = Crc32.ComputeCrc32C(crc, Unsafe.Add(ref p, i));
        }

        return crc;
    }
}
