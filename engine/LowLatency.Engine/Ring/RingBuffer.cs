using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LowLatency.Engine.Ring;

/// <summary>
/// The ring's storage: a power-of-two array of struct slots, allocated once, pinned (so a pointer to a
/// slot stays valid and the GC never moves it), and reused forever. Who may touch which slot is decided
/// by the sequencer and the barriers, not by this type.
/// </summary>
/// <typeparam name="T">Slot type; unmanaged so a slot never holds a reference the GC must scan.</typeparam>
public sealed class RingBuffer<T>
    where T : unmanaged
{
    private readonly T[] _slots;
    private readonly long _mask;

    /// <summary>Allocates <paramref name="size"/> zeroed slots; <paramref name="size"/> must be a power of two.</summary>
    public RingBuffer(int size)
    {
        if (size < 1 || !BitOperations.IsPow2(size))
        {
            throw new ArgumentException($"Ring size must be a positive power of two; got {size}.", nameof(size));
        }

        _slots = LowLatency.Models.CommittedArray.Allocate<T>(size);
        _mask = size - 1;
    }

    /// <summary>Number of slots.</summary>
    public int Size => _slots.Length;

    /// <summary>The slot for <paramref name="sequence"/> (sequence modulo size). No bounds check: the mask keeps the index in range.</summary>
    public ref T this[long sequence]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slots), (nint)(sequence & _mask));
    }
}
