using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LowLatency.Engine.Ring;

/// <summary>
/// Sequencer for several producer threads. The cursor is a claim counter moved by compare-and-swap; since
/// claims publish out of order, each slot has an availability flag (the lap number of the sequence that
/// last published it), and consumers advance only over a contiguous run of published slots.
/// </summary>
public sealed class MultiProducerSequencer : Sequencer
{
    private readonly int[] _available;
    private readonly int _indexMask;
    private readonly int _indexShift;
    private readonly Sequence _gatingCache = new();

    /// <summary>Creates a sequencer for a ring of <paramref name="bufferSize"/> slots (a power of two).</summary>
    public MultiProducerSequencer(int bufferSize)
        : base(bufferSize)
    {
        _available = GC.AllocateArray<int>(bufferSize, pinned: true);
        _available.AsSpan().Fill(-1);
        _indexMask = bufferSize - 1;
        _indexShift = System.Numerics.BitOperations.Log2((uint)bufferSize);
    }

    /// <inheritdoc/>
    public override long Next(int n)
    {
        if ((uint)(n - 1) >= (uint)BufferSize)
        {
            ThrowClaimTooLarge(n, BufferSize);
        }

        long next = Cursor.AddAndGet(n);
        long wrapPoint = next - BufferSize;
        if (wrapPoint > _gatingCache.Value)
        {
            WaitForCapacity(wrapPoint, next - n);
        }

        return next;
    }

    /// <inheritdoc/>
    public override bool TryNext(int n, out long highest)
    {
        if ((uint)(n - 1) >= (uint)BufferSize)
        {
            ThrowClaimTooLarge(n, BufferSize);
        }

        while (true)
        {
            long current = Cursor.Value;
            long next = current + n;
            long wrapPoint = next - BufferSize;
            if (wrapPoint > _gatingCache.Value)
            {
                long min = GatingMinimum(current);
                _gatingCache.SetRelease(min);
                if (wrapPoint > min)
                {
                    highest = default;
                    return false;
                }
            }

            if (Cursor.CompareAndSet(current, next))
            {
                highest = next;
                return true;
            }
        }
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override void Publish(long sequence)
    {
        SetAvailable(sequence);
        SignalConsumers();
    }

    /// <inheritdoc/>
    public override void Publish(long low, long high)
    {
        for (long s = low; s <= high; s++)
        {
            SetAvailable(s);
        }

        SignalConsumers();
    }

    /// <inheritdoc/>
    public override long GetHighestPublished(long low, long available)
    {
        for (long s = low; s <= available; s++)
        {
            if (!IsAvailable(s))
            {
                return s - 1;
            }
        }

        return available;
    }

    /// <summary>
    /// Release write of the slot's lap number: the slot contents written before become visible to a consumer
    /// that reads this flag with an acquire read in <see cref="IsAvailable"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetAvailable(long sequence) =>
        Volatile.Write(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_available), (int)sequence & _indexMask), (int)(sequence >> _indexShift));

    /// <summary>Acquire read of the slot's lap number (pairs with <see cref="SetAvailable"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsAvailable(long sequence) =>
        Volatile.Read(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_available), (int)sequence & _indexMask)) == (int)(sequence >> _indexShift);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WaitForCapacity(long wrapPoint, long current)
    {
        var spinner = default(SpinWait);
        long min;
        while (wrapPoint > (min = GatingMinimum(current)))
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        _gatingCache.SetRelease(min);
    }
}
