using System.Numerics;
using System.Runtime.CompilerServices;

namespace LowLatency.Adapters.Aeron;

/// <summary>
/// Stream position arithmetic (PROTOCOL.md §6.1–§6.2): position = ((termId − initialTermId) &lt;&lt; bits) + termOffset,
/// with term ids subtracted and added as wrapping int32.
/// </summary>
public static class LogPosition
{
    /// <summary>§6.1: smallest term length.</summary>
    public const int MinTermLength = 64 * 1024;

    /// <summary>§6.1: largest term length.</summary>
    public const int MaxTermLength = 1024 * 1024 * 1024;

    /// <summary>Whether <paramref name="termLength"/> is a power of two in [64 KiB, 1 GiB] (§3.3, §6.1).</summary>
    public static bool IsValidTermLength(int termLength) =>
        termLength >= MinTermLength && termLength <= MaxTermLength && BitOperations.IsPow2(termLength);

    /// <summary>bits = log2(term length) (§6.2). The term length must be a power of two.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PositionBitsToShift(int termLength) => BitOperations.Log2((uint)termLength);

    /// <summary>Position of (term id, term offset) in a stream that started at <paramref name="initialTermId"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Compute(int termId, int termOffset, int positionBits, int initialTermId) =>
        ((long)unchecked(termId - initialTermId) << positionBits) + termOffset;

    /// <summary>Term id holding <paramref name="position"/> (wrapping add, §6.2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TermId(long position, int positionBits, int initialTermId) =>
        unchecked(initialTermId + (int)(position >> positionBits));

    /// <summary>Offset of <paramref name="position"/> within its term (§6.2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TermOffset(long position, int termLength) => (int)(position & (termLength - 1));

    /// <summary>Largest message a publication with this term length accepts: min(term/8, 16 MiB) (§12).</summary>
    public static int MaxMessageLength(int termLength) => Math.Min(termLength / 8, 16 * 1024 * 1024);
}
