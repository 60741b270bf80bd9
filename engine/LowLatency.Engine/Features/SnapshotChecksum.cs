using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace LowLatency.Engine.Features;

/// <summary>
/// 64-bit checksum over a sequence of u64 words. Each step is a bijection of the running state for a fixed
/// word and of the word for a fixed state, so any single changed word always changes the result; it is
/// an integrity check against truncation and bit rot, not a cryptographic hash.
/// </summary>
internal struct SnapshotChecksum
{
    private const ulong P1 = 0x9E3779B97F4A7C15UL;
    private const ulong P2 = 0xC2B2AE3D27D4EB4FUL;
    private ulong _h;

    public SnapshotChecksum() => _h = 0x27D4EB2F165667C5UL;

    public readonly ulong Value => _h;

    public void Add(ulong word) => _h = BitOperations.RotateLeft((_h ^ word) * P1, 31) * P2;

    /// <summary>Adds bytes whose length is a multiple of 8 (every snapshot section is).</summary>
    public void Add(ReadOnlySpan<byte> bytes)
    {
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(bytes);
        ulong h = _h;
        foreach (ulong w in words)
        {
            h = BitOperations.RotateLeft((h ^ (BitConverter.IsLittleEndian ? w : BinaryPrimitives.ReverseEndianness(w))) * P1, 31) * P2;
        }

        _h = h;
    }

    public static ulong OfString(string s)
    {
        var c = new SnapshotChecksum();
        foreach (char ch in s)
        {
            c.Add(ch);
        }

        c.Add((ulong)s.Length);
        return c.Value;
    }
}
