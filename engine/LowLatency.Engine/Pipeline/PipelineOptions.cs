namespace LowLatency.Engine.Pipeline;

/// <summary>Which threads run the stages.</summary>
public enum Topology
{
    /// <summary>One processing thread runs features, scoring, decision and publish back to back (best on few cores).</summary>
    SingleThread,
    /// <summary>Features, scoring and decide+publish each on their own thread (for many cores).</summary>
    Pipelined,
}

/// <summary>How idle consumer threads wait.</summary>
public enum WaitStrategyKind
{
    /// <summary>Spin without yielding (only when spinning threads do not outnumber cores).</summary>
    BusySpin,
    /// <summary>Spin briefly, then yield (the default: sane on 2 cores).</summary>
    Yielding,
    /// <summary>Spin, yield, then sleep ~1 ms (low CPU when idle, slow wake-up).</summary>
    Sleeping,
    /// <summary>Sleep on a signal from the producer (no CPU when idle; microseconds to wake).</summary>
    Blocking,
}

/// <summary>
/// The pipeline's configuration, with documented defaults. <see cref="Validate"/> names the first bad value;
/// <see cref="ToString"/> is what the host prints at start-up.
/// </summary>
public sealed record PipelineOptions
{
    /// <summary>Inbound ring slots, a power of two (default 65,536).</summary>
    public int RingSize { get; init; } = 1 << 16;

    /// <summary>Thread layout (default single thread).</summary>
    public Topology Topology { get; init; } = Topology.SingleThread;

    /// <summary>Consumer idle strategy (default yielding).</summary>
    public WaitStrategyKind WaitStrategy { get; init; } = WaitStrategyKind.Yielding;

    /// <summary>Cards the feature table holds before evicting the stalest (default 1,048,576).</summary>
    public int CardCapacity { get; init; } = 1 << 20;

    /// <summary>Event time further than this ahead of the latest seen is rejected as bad input (default 1 hour).</summary>
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Throws with a message naming the first invalid option.</summary>
    public void Validate()
    {
        if (RingSize < 2 || (RingSize & (RingSize - 1)) != 0)
        {
            throw new ArgumentException($"RingSize must be a power of two of at least 2; got {RingSize}.");
        }

        if (CardCapacity <= 0)
        {
            throw new ArgumentException($"CardCapacity must be positive; got {CardCapacity}.");
        }

        if (MaxFutureSkew <= TimeSpan.Zero)
        {
            throw new ArgumentException($"MaxFutureSkew must be positive; got {MaxFutureSkew}.");
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"ring {RingSize} slots, topology {Topology}, wait {WaitStrategy}, cards {CardCapacity}, max future skew {MaxFutureSkew.TotalMinutes:F0} min";
}
