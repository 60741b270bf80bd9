using System.Runtime.CompilerServices;

namespace LowLatency.Adapters.Simulation;

/// <summary>An item ordered by (time, sequence); the sequence breaks ties so the pop order is deterministic.</summary>
internal interface IScheduled
{
    long TimeNs { get; }

    long Seq { get; }
}

/// <summary>
/// Fixed-capacity binary min-heap of structs: the simulator's calendar of future fraud steps and labels.
/// Never grows, so it never allocates after construction; a push into a full heap returns false and the
/// caller counts the drop.
/// </summary>
internal sealed class ScheduleHeap<T>
    where T : struct, IScheduled
{
    private readonly T[] _items;
    private int _count;

    public ScheduleHeap(int capacity) => _items = new T[capacity];

    public int Count => _count;

    public int Capacity => _items.Length;

    /// <summary>Time of the earliest item, or <see cref="long.MaxValue"/> when empty.</summary>
    public long PeekTime => _count == 0 ? long.MaxValue : _items[0].TimeNs;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Less(in T a, in T b) => a.TimeNs < b.TimeNs || (a.TimeNs == b.TimeNs && a.Seq < b.Seq);

    public bool TryPush(in T item)
    {
        if (_count == _items.Length)
        {
            return false;
        }

        int i = _count++;
        T[] items = _items;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Less(item, items[parent]))
            {
                break;
            }

            items[i] = items[parent];
            i = parent;
        }

        items[i] = item;
        return true;
    }

    /// <summary>Removes and returns the earliest item; the caller has checked <see cref="Count"/>.</summary>
    public T Pop()
    {
        T[] items = _items;
        T top = items[0];
        int n = --_count;
        if (n > 0)
        {
            T last = items[n];
            int i = 0;
            while (true)
            {
                int child = (2 * i) + 1;
                if (child >= n)
                {
                    break;
                }

                if (child + 1 < n && Less(items[child + 1], items[child]))
                {
                    child++;
                }

                if (!Less(items[child], last))
                {
                    break;
                }

                items[i] = items[child];
                i = child;
            }

            items[i] = last;
        }

        return top;
    }
}
