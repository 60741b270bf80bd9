using System.Numerics;

namespace LowLatency.Models.Lifecycle;

/// <summary>
/// 64-bit integrity checksum of a byte sequence: each byte goes through a multiply-rotate step that is a
/// bijection of the running state, so any single changed byte changes the result. Guards snapshot files
/// against truncation and bit rot; it is not a cryptographic hash.
/// </summary>
internal static class Checksum64
{
    private const ulong P1 = 0x9E3779B97F4A7C15UL;
    private const ulong P2 = 0xC2B2AE3D27D4EB4FUL;

    public static ulong Of(ReadOnlySpan<byte> bytes)
    {
        ulong h = 0x165667B19E3779F9UL ^ (ulong)bytes.Length;
        foreach (byte b in bytes)
        {
            h = BitOperations.RotateLeft((h ^ b) * P1, 29) * P2;
        }

        return h ^ (h >> 32);
    }
}
