using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LowLatency.Engine.Ring;

/// <summary>
/// A sequence number (a producer cursor or a consumer's progress) alone on its cache lines: 128 bytes
/// of padding either side, because the adjacent-line prefetcher pulls lines in pairs and a neighbour's
/// writes would otherwise invalidate ours (false sharing). Readers on other threads use acquire reads;
/// the owner publishes with release writes.
/// </summary>
public sealed class Sequence
{
    /// <summary>The value of a sequence before anything was claimed or processed.</summary>
    public const long Initial = -1;

    private PaddedLong _value;

    /// <summary>Creates a sequence at <paramref name="initial"/>.</summary>
    public Sequence(long initial = Initial) => _value.Value = initial;

    /// <summary>
    /// Acquire read: everything the writer did before its release write of this value is visible after
    /// this read (x64 loads are acquire by themselves; Volatile stops the JIT from caching or reordering).
    /// </summary>
    public long Value
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _value.Value);
    }

    /// <summary>
    /// Release write: every write the caller made before (the slot contents) becomes visible to a thread
    /// that reads this value with <see cref="Value"/>. On x64 a plain store is release; Volatile keeps the
    /// JIT from moving earlier stores after it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetRelease(long value) => Volatile.Write(ref _value.Value, value);

    /// <summary>Full-fence compare-and-swap (a locked cmpxchg on x64); used where several threads move one sequence.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool CompareAndSet(long expected, long value) => Interlocked.CompareExchange(ref _value.Value, value, expected) == expected;

    /// <summary>Full-fence atomic add, returning the new value (multi-producer claim).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long AddAndGet(long delta) => Interlocked.Add(ref _value.Value, delta);

    /// <inheritdoc/>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Smallest value among <paramref name="sequences"/>, or <paramref name="fallback"/> when there are none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Minimum(Sequence[] sequences, long fallback)
    {
        long min = long.MaxValue;
        foreach (var s in sequences)
        {
            long v = s.Value;
            if (v < min)
            {
                min = v;
            }
        }

        return sequences.Length == 0 ? fallback : min;
    }
}

/// <summary>A long with 128 bytes of padding on both sides (see <see cref="Sequence"/>).</summary>
[StructLayout(LayoutKind.Explicit, Size = (2 * PaddedLong.Padding) + sizeof(long))]
internal struct PaddedLong
{
    /// <summary>Bytes of padding each side: two 64-byte lines, against the adjacent-line prefetcher.</summary>
    public const int Padding = 128;

    [FieldOffset(Padding)]
    public long Value;
}
