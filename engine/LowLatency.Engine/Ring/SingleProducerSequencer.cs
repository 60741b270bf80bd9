using System.Runtime.CompilerServices;

namespace LowLatency.Engine.Ring;

/// <summary>
/// Sequencer for exactly one producer thread: claiming is plain arithmetic on fields only that thread
/// touches, and publishing is one release write of the cursor. The gating minimum is cached so the
/// consumers' cache lines are read only when the cached value says the ring might be full.
/// </summary>
public sealed class SingleProducerSequencer : Sequencer
{
    // Producer-thread-only state, padded away from the cursor and from each other's neighbours.
    private PaddedLong _nextValue;
    private PaddedLong _cachedGating;

    /// <summary>Creates a sequencer for a ring of <paramref name="bufferSize"/> slots.</summary>
    public SingleProducerSequencer(int bufferSize)
        : base(bufferSize)
    {
        _nextValue.Value = Sequence.Initial;
        _cachedGating.Value = Sequence.Initial;
    }

    /// <inheritdoc/>
    public override long Next(int n)
    {
        if ((uint)(n - 1) >= (uint)BufferSize)
        {
            ThrowClaimTooLarge(n, BufferSize);
        }

        long current = _nextValue.Value;
        long next = current + n;
        long wrapPoint = next - BufferSize;
        if (wrapPoint > _cachedGating.Value)
        {
            _cachedGating.Value = WaitForCapacity(wrapPoint, current);
        }

        _nextValue.Value = next;
        return next;
    }

    /// <inheritdoc/>
    public override bool TryNext(int n, out long highest)
    {
        if ((uint)(n - 1) >= (uint)BufferSize)
        {
            ThrowClaimTooLarge(n, BufferSize);
        }

        long current = _nextValue.Value;
        long next = current + n;
        long wrapPoint = next - BufferSize;
        if (wrapPoint > _cachedGating.Value)
        {
            long min = GatingMinimum(current);
            _cachedGating.Value = min;
            if (wrapPoint > min)
            {
                highest = default;
                return false;
            }
        }

        _nextValue.Value = next;
        highest = next;
        return true;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override void Publish(long sequence)
    {
        Cursor.SetRelease(sequence);
        SignalConsumers();
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override void Publish(long low, long high) => Publish(high);

    /// <inheritdoc/>
    public override long GetHighestPublished(long low, long available) => available;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long WaitForCapacity(long wrapPoint, long current)
    {
        // The ring is full: wait for the slowest consumer. Spin briefly, then yield so a consumer sharing
        // our core can run (this machine has 2 cores; a spinning producer would starve it).
        var spinner = default(SpinWait);
        long min;
        while (wrapPoint > (min = GatingMinimum(current)))
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        return min;
    }
}
