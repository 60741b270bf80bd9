using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace LowLatency.Engine.Ring;

/// <summary>
/// Hands out sequence numbers to producers and tells consumers which are published. Producers claim
/// (<see cref="Next()"/>, <see cref="Next(int)"/>, <see cref="TryNext(int, out long)"/>), write the slots,
/// then <see cref="Publish(long)"/>; a claim never overtakes the slowest gating consumer by more than the
/// ring's size, so no slot is overwritten before every consumer has finished it.
/// </summary>
public abstract class Sequencer
{
    private Sequence[] _gating = [];
    private volatile bool _signalEnabled;

    /// <summary>Creates a sequencer for a ring of <paramref name="bufferSize"/> slots.</summary>
    protected Sequencer(int bufferSize)
    {
        BufferSize = bufferSize;
        Signal = new WaitSignal();
    }

    /// <summary>Ring size.</summary>
    public int BufferSize { get; }

    /// <summary>
    /// The producer-side cursor. For a single producer it is the highest published sequence; for several it
    /// is the highest claimed one, and consumers ask <see cref="GetHighestPublished"/> which are complete.
    /// </summary>
    public Sequence Cursor { get; } = new();

    /// <summary>Wakes consumers that block (<see cref="BlockingWait"/>); publishers signal only once one has registered.</summary>
    public WaitSignal Signal { get; }

    /// <summary>The consumers that producers must not lap.</summary>
    protected Sequence[] Gating => _gating;

    /// <summary>Claims the next sequence, waiting (spin, then yield) while the ring is full.</summary>
    public long Next() => Next(1);

    /// <summary>Claims <paramref name="n"/> consecutive sequences and returns the highest; waits while full.</summary>
    public abstract long Next(int n);

    /// <summary>Claims <paramref name="n"/> sequences if there is room now; returns false (and claims nothing) when full.</summary>
    public abstract bool TryNext(int n, out long highest);

    /// <summary>Makes <paramref name="sequence"/> visible to consumers.</summary>
    public abstract void Publish(long sequence);

    /// <summary>Makes <paramref name="low"/>..<paramref name="high"/> visible to consumers.</summary>
    public abstract void Publish(long low, long high);

    /// <summary>The highest sequence in <paramref name="low"/>..<paramref name="available"/> such that all up to it are published.</summary>
    public abstract long GetHighestPublished(long low, long available);

    /// <summary>Adds consumers that producers must not overtake. Call before producers start.</summary>
    public void AddGatingSequences(params Sequence[] sequences) => _gating = [.. _gating, .. sequences];

    /// <summary>Turns on the signal publishers send to blocked consumers. Called when a blocking consumer is attached.</summary>
    public void EnableBlockingSignal() => _signalEnabled = true;

    /// <summary>Claims one slot and returns a scope whose disposal publishes it, so a claim cannot be left unpublished.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ClaimScope<T> Claim<T>(RingBuffer<T> ring)
        where T : unmanaged
    {
        long sequence = Next(1);
        return new ClaimScope<T>(this, ring, sequence);
    }

    /// <summary>Wakes blocked consumers after a publish, when any blocking consumer exists.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected void SignalConsumers()
    {
        if (_signalEnabled)
        {
            Signal.Notify();
        }
    }

    /// <summary>Minimum of the gating sequences, or <paramref name="fallback"/> when none are registered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected long GatingMinimum(long fallback) => Sequence.Minimum(_gating, fallback);

    /// <summary>Throws for a claim larger than the ring.</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    protected static void ThrowClaimTooLarge(int n, int size) =>
        throw new ArgumentOutOfRangeException(nameof(n), $"Cannot claim {n} slots of a ring of {size}; claim between 1 and the ring size.");
}

/// <summary>A claimed slot; disposing publishes it. Use with <c>using var scope = sequencer.Claim(ring);</c>.</summary>
public readonly ref struct ClaimScope<T>
    where T : unmanaged
{
    private readonly Sequencer _sequencer;
    private readonly RingBuffer<T> _ring;

    internal ClaimScope(Sequencer sequencer, RingBuffer<T> ring, long sequence)
    {
        _sequencer = sequencer;
        _ring = ring;
        Sequence = sequence;
    }

    /// <summary>The claimed sequence.</summary>
    public long Sequence { get; }

    /// <summary>The claimed slot, to fill in place.</summary>
    public ref T Event => ref _ring[Sequence];

    /// <summary>Publishes the slot.</summary>
    public void Dispose() => _sequencer.Publish(Sequence);
}
