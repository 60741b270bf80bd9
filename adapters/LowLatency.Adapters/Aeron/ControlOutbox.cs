using System.Runtime.CompilerServices;

namespace LowLatency.Adapters.Aeron;

/// <summary>
/// Control frames (SM, NAK, RTTM, SETUP...) that protocol logic wants sent, each with an opaque destination id that the
/// transport maps to an address. A preallocated FIFO of fixed-size slots, single-threaded: the protocol logic enqueues
/// during a duty cycle and the transport drains it in the same cycle. Keeps the protocol logic free of sockets.
/// </summary>
public sealed class ControlOutbox
{
    /// <summary>Largest control frame a slot holds (SM with group tag is 44; SETUP and RTTM 40).</summary>
    public const int SlotLength = 64;

    private readonly byte[] _slots;
    private readonly int[] _lengths;
    private readonly int[] _destinations;
    private readonly int _mask;
    private long _head;
    private long _tail;

    /// <summary>Creates an outbox with room for <paramref name="capacity"/> frames (rounded up to a power of two).</summary>
    public ControlOutbox(int capacity)
    {
        int cap = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 2));
        _slots = new byte[cap * SlotLength];
        _lengths = new int[cap];
        _destinations = new int[cap];
        _mask = cap - 1;
    }

    /// <summary>Frames waiting to be sent.</summary>
    public int Count => (int)(_tail - _head);

    /// <summary>Claims the next slot for a frame to <paramref name="destination"/>; false when full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryClaim(int destination, out Span<byte> slot)
    {
        if (_tail - _head > _mask)
        {
            slot = default;
            return false;
        }

        int index = (int)(_tail & _mask);
        _destinations[index] = destination;
        slot = _slots.AsSpan(index * SlotLength, SlotLength);
        return true;
    }

    /// <summary>Publishes the slot claimed last with the frame's length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Commit(int length)
    {
        _lengths[(int)(_tail & _mask)] = length;
        _tail++;
    }

    /// <summary>The oldest frame and its destination without removing it; false when empty.</summary>
    public bool TryPeek(out ReadOnlySpan<byte> frame, out int destination)
    {
        if (_head == _tail)
        {
            frame = default;
            destination = 0;
            return false;
        }

        int index = (int)(_head & _mask);
        frame = _slots.AsSpan(index * SlotLength, _lengths[index]);
        destination = _destinations[index];
        return true;
    }

    /// <summary>Removes the oldest frame (after it was sent, or to drop it).</summary>
    public void Dequeue()
    {
        if (_head != _tail)
        {
            _head++;
        }
    }

    /// <summary>Drops every queued frame.</summary>
    public void Clear() => _head = _tail;
}
