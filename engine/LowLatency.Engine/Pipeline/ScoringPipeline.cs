using LowLatency.Engine.Ring;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// The engine's processing pipeline: an inbound ring of <see cref="PipelineSlot"/>s and the feature, scoring
/// and decide stages as ring consumers, in the topology the options ask for. Producers (a UDP receiver, a
/// replay reader, a load generator) claim slots with <see cref="Sequencer"/>, fill them (decode in place)
/// and publish. Decisions leave through <typeparamref name="TSink"/>.
/// </summary>
public sealed class ScoringPipeline<TSink> : IDisposable
    where TSink : struct, IDecisionSink
{
    private readonly RingPipeline<PipelineSlot> _ring;
    private readonly StageState _state;
    private bool _started;

    /// <summary>
    /// Builds the ring and the stages; nothing runs until <see cref="Start"/>. <paramref name="beside"/> (the journal)
    /// sees every slot beside the stages, gating the decisions or not as it says.
    /// </summary>
    public ScoringPipeline(PipelineOptions options, LinearScorer model, DecisionPolicy policy, TSink sink, ProducerType producers = ProducerType.Single, ISideConsumer? beside = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(policy);
        options.Validate();
        if (model.FeatureCount != CardFeatures.Count)
        {
            throw new ArgumentException($"The model expects {model.FeatureCount} features but the feature set computes {CardFeatures.Count}.");
        }

        Options = options;
        _state = new StageState(options, model, policy);
        _ring = new RingPipeline<PipelineSlot>(options.RingSize, producers);
        switch (options.WaitStrategy)
        {
            case WaitStrategyKind.BusySpin: Wire(sink, new BusySpinWait(), beside); break;
            case WaitStrategyKind.Sleeping: Wire(sink, new SleepingWait(), beside); break;
            case WaitStrategyKind.Blocking: Wire(sink, new BlockingWait(), beside); break;
            default: Wire(sink, new YieldingWait(), beside); break;
        }
    }

    /// <summary>The options in force.</summary>
    public PipelineOptions Options { get; }

    /// <summary>Claims and publishes inbound slots.</summary>
    public Sequencer Sequencer => _ring.Sequencer;

    /// <summary>The inbound slots.</summary>
    public RingBuffer<PipelineSlot> Ring => _ring.Ring;

    /// <summary>The champion model; setting it swaps atomically (takes effect from the next event scored).</summary>
    public LinearScorer Model
    {
        get => _state.Model;
        set => _state.Model = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Decision thresholds; setting swaps atomically.</summary>
    public DecisionPolicy Policy
    {
        get => _state.Policy;
        set => _state.Policy = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Counters so far (safe to call from any thread).</summary>
    public PipelineStats Stats => _state.Counters.Snapshot();

    /// <summary>Cards evicted from the feature table.</summary>
    public long FeatureEvictions => _state.Features.Evictions;

    /// <summary>Events whose handler threw (reported, skipped, counted).</summary>
    public long Faults => _ring.Processors.Sum(p => p.Faults);

    /// <summary>
    /// Called on the features thread when a Snapshot control message is processed, with its ring sequence; the
    /// handler may call <see cref="WriteState"/> there (the state then covers exactly the messages before it).
    /// Set before <see cref="Start"/>.
    /// </summary>
    public Action<long>? SnapshotRequested
    {
        get => _state.SnapshotRequested;
        set => _state.SnapshotRequested = value;
    }

    /// <summary>
    /// Writes the processing state that decisions depend on (card feature table, latest event time). Call from
    /// <see cref="SnapshotRequested"/>, or while the pipeline is not running.
    /// </summary>
    public void WriteState(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[16];
        "LLSTATE1"u8.CopyTo(header);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(header[8..], _state.LatestEventTimeNs);
        stream.Write(header);
        _state.Features.WriteState(stream);
    }

    /// <summary>Restores state written by <see cref="WriteState"/> (same card capacity); only before <see cref="Start"/>.</summary>
    public void ReadState(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (_started)
        {
            throw new InvalidOperationException("Restore state before starting the pipeline.");
        }

        Span<byte> header = stackalloc byte[16];
        stream.ReadExactly(header);
        if (!header[..8].SequenceEqual("LLSTATE1"u8))
        {
            throw new InvalidDataException("Not a pipeline state file (magic LLSTATE1 missing).");
        }

        long latest = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        _state.Features.ReadState(stream);
        _state.LatestEventTimeNs = latest;
    }

    /// <summary>Starts the consumer threads.</summary>
    public void Start()
    {
        _started = true;
        _ring.Start();
    }

    /// <summary>Waits until everything published has been decided (bounded), then stops the threads.</summary>
    public bool DrainAndStop(TimeSpan timeout) => !_started || _ring.DrainAndHalt(timeout);

    /// <summary>Stops the threads (without waiting for the backlog).</summary>
    public void Dispose() => _ring.Dispose();

    private void Wire<TWait>(TSink sink, TWait wait, ISideConsumer? beside)
        where TWait : struct, IWaitStrategy
    {
        // The side consumer runs in parallel with the features stage; when it gates, whatever publishes
        // decisions also waits for it (the processing before that point still overlaps with it).
        Sequence[] gate = [];
        if (beside is not null)
        {
            var side = beside.AddTo(_ring, wait);
            if (beside.GatesDecisions)
            {
                gate = [side];
            }
        }

        if (Options.Topology == Topology.SingleThread)
        {
            _ring.Add(new AllStagesHandler<TSink>(_state, sink), wait, gate);
            return;
        }

        var features = _ring.Add(new FeatureHandler(_state), wait);
        var score = _ring.Add(new ScoreHandler(_state), wait, features);
        _ring.Add(new DecideHandler<TSink>(_state, sink), wait, [score, .. gate]);
    }
}
