using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LowLatency.Models.Linear;

/// <summary>Maps a sparse categorical key (merchant id, country, MCC ...) to a slot of a power-of-two weight table.</summary>
public static class FeatureHasher
{
    /// <summary>
    /// 64-bit avalanche mix (the MurmurHash3 finalizer constants), then the top <paramref name="bits"/> bits.
    /// Top bits rather than a low mask because the multiply pushes entropy upward.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Slot(ulong key, int bits)
    {
        ulong h = key;
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53UL;
        h ^= h >> 33;
        return (int)(h >> (64 - bits));
    }

    /// <summary>
    /// <see cref="Slot"/> of four keys at once, lane by lane the same arithmetic (64-bit lane multiplies: one
    /// instruction with AVX-512DQ, emulated otherwise).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Slots(Vector256<ulong> keys, int bits)
    {
        Vector256<ulong> h = keys;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53UL;
        h ^= h >>> 33;
        return h >>> (64 - bits);
    }

    /// <summary>
    /// <see cref="Slot"/> of eight keys at once (vpmullq with AVX-512DQ), lane by lane the same arithmetic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Slots(Vector512<ulong> keys, int bits)
    {
        Vector512<ulong> h = keys;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53UL;
        h ^= h >>> 33;
        return h >>> (64 - bits);
    }
}
