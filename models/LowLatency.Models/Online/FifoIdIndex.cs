using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace LowLatency.Models.Online;

/// <summary>
/// A bounded first-in-first-out set of 64-bit ids with O(1) lookup: the ids sit in a ring in arrival order
/// (so the oldest is always at the head and eviction needs no search), and an open-addressing table with
/// linear probing maps id → ring position. Deletion is backward-shift, so there are no tombstones and probe
/// runs never grow with churn. Preallocated; no method allocates. Single-threaded.
/// </summary>
internal sealed class FifoIdIndex
{
    private readonly ulong[] _ring;
    private readonly int[] _table; // ring position + 1; 0 = empty
    private readonly int _mask;
    private int _head;
    private int _count;

    public FifoIdIndex(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _ring = CommittedArray.Allocate<ulong>(capacity);
        // Load factor at most one half keeps linear probe runs short.
        int size = (int)Math.Min(1L << 30, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity) * 2);
        _table = CommittedArray.Allocate<int>(size);
        _mask = size - 1;
    }

    public int Capacity => _ring.Length;

    public int Count => _count;

    public bool IsFull => _count == _ring.Length;

    /// <summary>Ring position of the oldest id (valid when <see cref="Count"/> &gt; 0).</summary>
    public int OldestPosition => _head;

    /// <summary>Ring position of <paramref name="id"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ulong id)
    {
        int i = Home(id);
        while (true)
        {
            int v = _table[i];
            if (v == 0)
            {
                return -1;
            }

            if (_ring[v - 1] == id)
            {
                return v - 1;
            }

            i = (i + 1) & _mask;
        }
    }

    /// <summary>Appends an id that is not present; the caller makes room first (<see cref="IsFull"/>). Returns its ring position.</summary>
    public int Add(ulong id)
    {
        int pos = _head + _count;
        if (pos >= _ring.Length)
        {
            pos -= _ring.Length;
        }

        _ring[pos] = id;
        _count++;
        int i = Home(id);
        while (_table[i] != 0)
        {
            i = (i + 1) & _mask;
        }

        _table[i] = pos + 1;
        return pos;
    }

    /// <summary>Removes the oldest id and returns it (the caller checks <see cref="Count"/> first).</summary>
    public ulong RemoveOldest()
    {
        PrefetchFutureRemoval();
        ulong id = _ring[_head];
        int i = Home(id);
        while (_table[i] != _head + 1)
        {
            i = (i + 1) & _mask;
        }

        // Backward-shift deletion: pull later members of the probe run into the hole when their home allows.
        int hole = i;
        int j = i;
        while (true)
        {
            j = (j + 1) & _mask;
            int v = _table[j];
            if (v == 0)
            {
                break;
            }

            int home = Home(_ring[v - 1]);
            // Move v into the hole unless its home lies cyclically in (hole, j].
            bool homeInRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
            if (!homeInRange)
            {
                _table[hole] = v;
                hole = j;
            }
        }

        _table[hole] = 0;
        _head = _head + 1 == _ring.Length ? 0 : _head + 1;
        _count--;
        return id;
    }

    /// <summary>
    /// Starts loading the table slot of the id that will be removed <see cref="RemovalLookahead"/> removals from now: the
    /// ring says which id that is, so the random read of its slot overlaps the work between (measured: the removal's miss
    /// was a third of a join-store record's time at 262,144 held decisions).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void PrefetchFutureRemoval()
    {
        if (Sse.IsSupported && _count > RemovalLookahead)
        {
            int ahead = _head + RemovalLookahead;
            ulong future = _ring[ahead >= _ring.Length ? ahead - _ring.Length : ahead];
            fixed (int* slot = &_table[Home(future)])
            {
                Sse.Prefetch0(slot);
            }
        }
    }

    /// <summary>How many removals ahead <see cref="PrefetchFutureRemoval"/> looks.</summary>
    private const int RemovalLookahead = 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(ulong id)
    {
        // splitmix64 finaliser: gateway ids are often sequential and would otherwise fill one probe run.
        ulong x = id;
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9UL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebUL;
        x ^= x >> 31;
        return (int)x & _mask;
    }
}
