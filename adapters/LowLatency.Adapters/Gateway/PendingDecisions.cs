using System.Runtime.CompilerServices;

namespace LowLatency.Adapters.Gateway;

/// <summary>
/// Transactions awaiting their decision, by txId: a preallocated direct-mapped table (slot = txId mod capacity). The sending
/// thread adds, the receive thread takes; nothing is allocated per message. Capacity must exceed the transactions in flight;
/// a slot still occupied when a newer txId maps to it is overwritten and counted in <see cref="Overwritten"/>.
/// </summary>
public sealed class PendingDecisions
{
    private readonly ulong[] _keys; // txId + 1; 0 = empty
    private readonly long[] _sentTicks;
    private readonly int _mask;

    /// <summary>Creates a table of <paramref name="capacity"/> slots (a power of two).</summary>
    public PendingDecisions(int capacity)
    {
        if (capacity < 2 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentException($"Capacity must be a power of two of at least 2; got {capacity}.", nameof(capacity));
        }

        _keys = new ulong[capacity];
        _sentTicks = new long[capacity];
        _mask = capacity - 1;
    }

    /// <summary>Entries replaced before their decision came (written by the sending thread).</summary>
    public long Overwritten { get; private set; }

    /// <summary>Records that <paramref name="txId"/> was sent at <paramref name="sentTicks"/> (sending thread).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ulong txId, long sentTicks)
    {
        int i = (int)(txId & (ulong)_mask);
        if (ReadKey(i) != 0)
        {
            Overwritten++;
        }

        _sentTicks[i] = sentTicks;
        PublishKey(i, txId + 1);
    }

    /// <summary>Removes <paramref name="txId"/> if it is still pending (sending thread, after a refused offer).</summary>
    public void Remove(ulong txId) => TakeKey((int)(txId & (ulong)_mask), txId + 1);

    /// <summary>Takes the entry of <paramref name="txId"/> (receive thread); false when none is pending.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryTake(ulong txId, out long sentTicks)
    {
        int i = (int)(txId & (ulong)_mask);
        if (ReadKey(i) != txId + 1)
        {
            sentTicks = 0;
            return false;
        }

        sentTicks = _sentTicks[i];
        return TakeKey(i, txId + 1);
    }

    /// <summary>Acquire read of a key: the ticks written before its publication are visible after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong ReadKey(int i) => Volatile.Read(ref _keys[i]);

    /// <summary>Release write of a key: orders the ticks store before it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PublishKey(int i, ulong key) => Volatile.Write(ref _keys[i], key);

    /// <summary>Full-fence compare-and-swap to empty: exactly one of the two threads wins a slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TakeKey(int i, ulong key) => Interlocked.CompareExchange(ref _keys[i], 0, key) == key;
}
