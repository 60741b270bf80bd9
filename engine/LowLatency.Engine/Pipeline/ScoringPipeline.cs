using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Learning;
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
    private EventPoller<PipelineSlot>? _poller;
    private AllStagesHandler<TSink> _polled;
    private bool _started;

    /// <summary>
    /// Builds the ring and the stages; nothing runs until <see cref="Start"/>. The feature state starts empty, or is
    /// <paramref name="features"/> (warmed on history or loaded from a snapshot; the pipeline takes ownership), which
    /// must have been built from the same spec as <see cref="PipelineOptions.Features"/>. <paramref name="beside"/>
    /// (the journal) sees every slot beside the stages, gating the decisions or not as it says.
    /// <para>
    /// <paramref name="learning"/> (built with this pipeline's <see cref="Models"/> registry and starting model) turns on
    /// continual learning: decisions are logged for their labels on the scoring thread, and the learner thread it owns
    /// (started and stopped with the pipeline) publishes new versions into the ring, which therefore takes several producers.
    /// </para>
    /// </summary>
    public ScoringPipeline(
        PipelineOptions options, ServingModel model, DecisionPolicy policy, TSink sink, ProducerType producers = ProducerType.Single,
        ISideConsumer? beside = null, Featurizer? features = null, Func<ModelRegistry, OnlineLearning>? learning = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(policy);
        options.Validate();
        Options = options;
        var plan = FeaturePlan.Compile(options.Features);
        if (features is not null && features.Store.Plan.Layout != plan.Layout)
        {
            features.Dispose();
            throw new ArgumentException("The feature state given was built from another feature spec than the options name.", nameof(features));
        }

        var featurizer = features ?? new Featurizer(plan);
        _state = new StageState(options, model, policy, featurizer, new ModelRegistry(featurizer.Names));
        try
        {
            CheckLayout(model);
            _state.Registry.Add(model);
            if (learning is not null)
            {
                _state.Learning = learning(_state.Registry);
                producers = ProducerType.Multi;
            }

            _ring = new RingPipeline<PipelineSlot>(options.RingSize, producers);
        }
        catch
        {
            _state.Learning?.Dispose();
            _state.Dispose();
            throw;
        }

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

    /// <summary>
    /// The model in force (safe to read from any thread). Set it only before <see cref="Start"/>: a running pipeline
    /// changes models through swap events in its input sequence (<see cref="MessageKind.ModelSwap"/>, or a Promote or
    /// Rollback control), so that the journal records where each took effect and a replay reproduces it.
    /// </summary>
    public ServingModel Model
    {
        get => _state.Model;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (_started)
            {
                throw new InvalidOperationException("The pipeline is running: swap models through the input sequence (a ModelSwap slot or a Promote control).");
            }

            CheckLayout(value);
            _state.Registry.Add(value);
            _state.Model = value;
        }
    }

    /// <summary>The model versions swap events may name: the starting model, the learner's versions, versions loaded for a replay.</summary>
    public ModelRegistry Models => _state.Registry;

    /// <summary>
    /// The champion a RollbackModel command would return to, or null. Read from <see cref="ModelCommandRequested"/> it is
    /// exact in the single-thread topology (the scoring stage applies commands right after that hook).
    /// </summary>
    public ServingModel? PreviousModel => _state.PreviousModel;

    /// <summary>Continual learning, or null when off.</summary>
    public OnlineLearning? Learning => _state.Learning;

    /// <summary>Decision thresholds; setting swaps atomically (the scoring stage reads them for each event it scores).</summary>
    public DecisionPolicy Policy
    {
        get => _state.Policy;
        set => _state.Policy = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Counters so far (safe to call from any thread).</summary>
    public PipelineStats Stats => _state.Counters.Snapshot();

    /// <summary>Entities evicted from full feature tables (all entity types).</summary>
    public long FeatureEvictions => _state.Features.Store.Counters.EvictedFull;

    /// <summary>The features computed per event, in the model's layout.</summary>
    public IReadOnlyList<string> FeatureNames => _state.Features.Names;

    /// <summary>The feature store's counters (accepted, late, rejected, evictions); a copy read across threads, approximate while running.</summary>
    public FeatureStoreCounters FeatureCounters => _state.Features.Store.Counters;

    /// <summary>Events whose handler threw (reported, skipped, counted).</summary>
    public long Faults => _ring.Processors.Sum(p => p.Faults) + (_poller?.Faults ?? 0);

    /// <summary>
    /// With <see cref="PipelineOptions.PolledByCaller"/>: runs every stage on the calling thread for up to
    /// <paramref name="maxBatch"/> published messages; returns how many (0 = nothing waiting). Always the same thread.
    /// </summary>
    public int Poll(int maxBatch = 256)
    {
        if (_poller is null)
        {
            throw new InvalidOperationException("Poll is for a pipeline built with PolledByCaller; this one runs its own stage threads.");
        }

        return _poller.Poll(ref _polled, maxBatch);
    }

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
    /// Called on the features thread when a PromoteModel or RollbackModel control message is processed, with the message
    /// and its ring sequence: the place to swap <see cref="Model"/>. In the single-thread topology the swap then takes effect
    /// exactly after that point of the input; in the pipelined one, events already past the features stage but not yet
    /// scored may still see the new model. Null: the commands are counted in <see cref="PipelineStats.ControlsIn"/> and
    /// nothing else. Set before <see cref="Start"/>.
    /// </summary>
    public Action<ControlMessage, long>? ModelCommandRequested
    {
        get => _state.ModelCommandRequested;
        set => _state.ModelCommandRequested = value;
    }

    /// <summary>
    /// Writes the processing state that decisions depend on (the feature store: every table, watermark, counters, with
    /// version and checksum). Call from <see cref="SnapshotRequested"/>, or while the pipeline is not running.
    /// </summary>
    public void WriteState(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write("LLSTATE2"u8);
        _state.Features.Store.WriteSnapshot(stream);
    }

    /// <summary>
    /// Restores state written by <see cref="WriteState"/> from a pipeline with the same feature spec; only before
    /// <see cref="Start"/>. Throws on another spec, another version, corruption or truncation, and then keeps its state.
    /// </summary>
    public void ReadState(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (_started)
        {
            throw new InvalidOperationException("Restore state before starting the pipeline.");
        }

        Span<byte> magic = stackalloc byte[8];
        stream.ReadExactly(magic);
        if (!magic.SequenceEqual("LLSTATE2"u8))
        {
            throw new InvalidDataException("Not a pipeline state file (magic LLSTATE2 missing).");
        }

        _state.Features.ReplaceStore(FeatureStore.LoadSnapshot(stream, _state.Features.Store.Plan));
    }

    /// <summary>Starts the consumer threads (and the learner thread, when learning is on).</summary>
    public void Start()
    {
        _started = true;
        _ring.Start();
        _state.Learning?.Start(_ring.Sequencer, _ring.Ring);
    }

    /// <summary>
    /// Stops the learner (no more swaps enter), then waits until everything published has been decided (bounded) and
    /// stops the threads.
    /// </summary>
    public bool DrainAndStop(TimeSpan timeout)
    {
        _state.Learning?.Stop();
        if (!_started)
        {
            return true;
        }

        if (_poller is not null)
        {
            // The caller's thread keeps polling: wait for it to reach what was published, then stop the side consumer.
            long target = _ring.Sequencer.Cursor.Value;
            if (_ring.Sequencer is MultiProducerSequencer)
            {
                target = _ring.Sequencer.GetHighestPublished(_poller.Sequence.Value + 1, target);
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (_poller.Sequence.Value < target && clock.Elapsed < timeout)
            {
                Thread.Sleep(1);
            }

            bool done = _poller.Sequence.Value >= target;
            return _ring.DrainAndHalt(timeout) && done;
        }

        return _ring.DrainAndHalt(timeout);
    }

    /// <summary>Stops the threads (without waiting for the backlog).</summary>
    public void Dispose()
    {
        _state.Learning?.Dispose();
        _ring.Dispose();
        _state.Dispose();
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first feature where the model's layout and the feature spec differ.</summary>
    private void CheckLayout(ServingModel model)
    {
        try
        {
            model.Champion.Layout.Verify(_state.Features.Names);
        }
        catch (Models.ModelFormatException ex)
        {
            throw new ArgumentException($"The model does not fit the {_state.Features.Event} feature spec: {ex.Message}", nameof(model), ex);
        }
    }

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

        if (Options.PolledByCaller)
        {
            _poller = _ring.AddPoller(gate);
            _polled = new AllStagesHandler<TSink>(_state, _ring.Ring, sink, Options.ScoreInGroups);
            return;
        }

        if (Options.Topology == Topology.SingleThread)
        {
            _ring.Add(new AllStagesHandler<TSink>(_state, _ring.Ring, sink, Options.ScoreInGroups), wait, gate);
            return;
        }

        var features = _ring.Add(new FeatureHandler(_state, _ring.Ring), wait);
        var score = _ring.Add(new ScoreHandler(_state), wait, features);
        _ring.Add(new DecideHandler<TSink>(_state, sink), wait, [score, .. gate]);
    }
}
