using LowLatency.Engine.Features;

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

/// <summary>Which decisions carry reason codes (the features that moved the score most).</summary>
public enum ReasonCodes
{
    /// <summary>
    /// Reviews and declines only (the default): the decisions someone acts on or must justify. An approval is scored
    /// without the explaining walk, which costs more than the score itself with a large tree ensemble.
    /// </summary>
    Flagged,
    /// <summary>Every decision.</summary>
    All,
    /// <summary>None: scores and outcomes only.</summary>
    None,
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

    /// <summary>
    /// Single-thread topology only: start no stage thread; whoever owns the pipeline runs every stage on its own thread
    /// by calling <see cref="ScoringPipeline{TSink}.Poll"/> (the UDP transport does, in the duty cycle of its socket
    /// thread: receive, decode, score and publish on one thread, with no hand-off and no second thread to wake).
    /// Default false.
    /// </summary>
    public bool PolledByCaller { get; init; }

    /// <summary>Consumer idle strategy (default yielding).</summary>
    public WaitStrategyKind WaitStrategy { get; init; } = WaitStrategyKind.Yielding;

    /// <summary>
    /// The rolling features the pipeline computes (default: the shipped payments spec, see
    /// engine/LowLatency.Engine/Features/Specs). Its event type chooses the flow: a payments spec scores
    /// Transactions, an orders spec scores Orders; the other kind passes through uncounted as decisions.
    /// Event times too far ahead (the spec's <c>maxFuture</c>) or not positive are rejected as bad input.
    /// </summary>
    public FeatureSpec Features { get; init; } = DefaultPayments.Value;

    /// <summary>
    /// Which decisions carry reason codes (default <see cref="ReasonCodes.Flagged"/>: reviews and declines). Scores and
    /// outcomes are the same bits whatever this says; a replay reproduces a run's decisions byte for byte only with the
    /// run's setting.
    /// </summary>
    public ReasonCodes Reasons { get; init; } = ReasonCodes.Flagged;

    /// <summary>
    /// Single-thread topology only: score the trees of up to <see cref="ScoreGroupSize"/> consecutive scored events of a
    /// ring batch in one pass across events (leaf bitvectors, where the machine and the trees allow), then decide them in
    /// order. Scores, outcomes and their order are the same bits as event by event; what changes is that an event's
    /// decision waits for the features of the rest of its group (a group never waits for more input: it ends with the
    /// ring batch, and before any control or model-swap message). For throughput: replays turn it on. Default false, so
    /// live serving decides each event as soon as it is scored.
    /// </summary>
    public bool ScoreInGroups { get; init; }

    /// <summary>Most scored events in a group of <see cref="ScoreInGroups"/>.</summary>
    public const int ScoreGroupSize = 32;

    private static readonly Lazy<FeatureSpec> DefaultPayments = new(() => FeatureSpec.LoadDefault("payments"));

    /// <summary>Throws with a message naming the first invalid option.</summary>
    public void Validate()
    {
        if (RingSize < 2 || (RingSize & (RingSize - 1)) != 0)
        {
            throw new ArgumentException($"RingSize must be a power of two of at least 2; got {RingSize}.");
        }

        if (PolledByCaller && Topology != Topology.SingleThread)
        {
            throw new ArgumentException("PolledByCaller needs the single-thread topology: a caller's thread cannot run pipelined stages.");
        }

        if (ScoreInGroups && Topology != Topology.SingleThread)
        {
            throw new ArgumentException("ScoreInGroups needs the single-thread topology: a pipelined scoring stage sees one event at a time.");
        }

        if (Features is null)
        {
            throw new ArgumentException("Features must be set (a feature spec).");
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"ring {RingSize} slots, topology {Topology}{(PolledByCaller ? " (on the network thread)" : string.Empty)}, wait {WaitStrategy}, reasons {Reasons.ToString().ToLowerInvariant()}{(ScoreInGroups ? ", trees scored in groups" : string.Empty)}, {(Features.Event == FeatureEventKind.Order ? "order" : "transaction")} features over {Features.Entities.Count} entity types";
}
