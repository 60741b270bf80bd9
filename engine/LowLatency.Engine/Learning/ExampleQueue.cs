using System.Runtime.CompilerServices;
using LowLatency.Engine.Ring;

namespace LowLatency.Engine.Learning;

/// <summary>
/// A bounded single-producer, single-consumer queue of <see cref="LabelledExample"/>s from the scoring thread to the
/// learner thread, preallocated. The producer never waits: when the learner has fallen a whole queue behind,
/// <see cref="TryClaim()"/> refuses and the caller counts the example as dropped. Head and tail each own their cache
/// lines (<see cref="Sequence"/>); the producer publishes a slot by a release write of the tail after filling it, the
/// consumer frees it by a release write of the head after copying it out.
/// </summary>
public sealed class ExampleQueue
{
    private readonly LabelledExample[] _slots;
    private readonly int _mask;
    private readonly Sequence _head = new(0); // next slot to read; written by the consumer only
    private readonly Sequence _tail = new(0); // next slot to write; written by the producer only
    private long _cachedHead; // producer's last view of the head, so a free slot costs no cross-core read

    /// <summary>Allocates <paramref name="capacity"/> slots (a power of two).</summary>
    public ExampleQueue(int capacity)
    {
        if (capacity < 2 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentException($"The example queue's capacity must be a power of two of at least 2; got {capacity}.", nameof(capacity));
        }

        _slots = LowLatency.Models.CommittedArray.Allocate<LabelledExample>(capacity);
        _mask = capacity - 1;
    }

    /// <summary>Slots.</summary>
    public int Capacity => _slots.Length;

    /// <summary>Examples waiting (approximate when read off both threads).</summary>
    public long Count => _tail.Value - _head.Value;

    /// <summary>
    /// Producer: the slot to fill next, or a null reference when the queue is full. Fill it, then <see cref="Publish"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref LabelledExample TryClaim() => ref TryClaim(_slots.Length);

    /// <summary>
    /// Producer: as <see cref="TryClaim()"/>, but refuses once <paramref name="limit"/> examples are waiting, keeping the
    /// rest of the queue for more important ones (shadow decisions take at most half, so labels always find room first).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref LabelledExample TryClaim(int limit)
    {
        long tail = _tail.Value;
        if (tail - _cachedHead >= limit)
        {
            _cachedHead = _head.Value; // acquire: the consumer has finished reading every slot below it
            if (tail - _cachedHead >= limit)
            {
                return ref Unsafe.NullRef<LabelledExample>();
            }
        }

        return ref _slots[tail & _mask];
    }

    /// <summary>Producer: makes the claimed slot visible to the consumer (release).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish() => _tail.SetRelease(_tail.Value + 1);

    /// <summary>Consumer: copies the oldest example out and frees its slot; false when empty.</summary>
    public bool TryDequeue(out LabelledExample example)
    {
        long head = _head.Value;
        if (head >= _tail.Value) // acquire: the slot's contents were written before the tail moved
        {
            example = default;
            return false;
        }

        example = _slots[head & _mask];
        _head.SetRelease(head + 1);
        return true;
    }
}
