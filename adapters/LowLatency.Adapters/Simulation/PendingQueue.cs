using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Simulation;

internal enum PendingKind : byte
{
    FraudStep = 1,
    Label = 2,
}

/// <summary>A scheduled fraud step or label. Plain data so the queue is one struct array.</summary>
internal struct PendingItem
{
    public long TimeNs;
    public long Order;
    public PendingKind Kind;
    public FraudPattern Pattern;
    public byte Step;
    public byte Remaining;
    public bool Fraud;
    public LabelSource Source;
    public int Card;
    public ulong TxId;
    public ulong Aux;
    public double Latitude;
    public double Longitude;
}

/// <summary>
/// Binary min-heap ordered by (time, insertion order): ties come out in the order they were scheduled,
/// which keeps the stream deterministic. Grows by doubling when full (rare; never in steady state).
/// </summary>
internal sealed class PendingQueue(int capacity)
{
    private PendingItem[] _items = new PendingItem[capacity];
    private long _order;

    public int Count { get; private set; }

    public long PeekTime() => _items[0].TimeNs;

    public void Push(PendingItem item)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        item.Order = _order++;
        int i = Count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Less(item, _items[parent]))
            {
                break;
            }

            _items[i] = _items[parent];
            i = parent;
        }

        _items[i] = item;
    }

    public PendingItem Pop()
    {
        var top = _items[0];
        var last = _items[--Count];
        int i = 0;
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && Less(_items[child + 1], _items[child]))
            {
                child++;
            }

            if (!Less(_items[child], last))
            {
                break;
            }

            _items[i] = _items[child];
            i = child;
        }

        if (Count > 0)
        {
            _items[i] = last;
        }

        return top;
    }

    private static bool Less(in PendingItem a, in PendingItem b) => a.TimeNs < b.TimeNs || (a.TimeNs == b.TimeNs && a.Order < b.Order);
}
