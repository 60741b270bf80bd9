using System.Diagnostics;
using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;
using LowLatency.Engine.Ring;
using LowLatency.Models.Lifecycle;
using LowLatency.Models.Online;

namespace LowLatency.Engine.Learning;

/// <summary>
/// Continual learning beside a scoring pipeline, in two halves that share nothing but a queue and the model registry.
/// On the scoring thread: every decision is logged (features, sparse keys, score) in a preallocated
/// <see cref="LabelJoinStore"/>, and every label that joins its decision is copied into a bounded single-producer
/// single-consumer <see cref="ExampleQueue"/> — never waiting: a full queue drops the example and counts it. On the
/// learner thread: a <see cref="ChampionChallenger"/> scores each live decision in shadow with the challenger (queued
/// beside the labels, see <see cref="OnDecision"/>), scores each labelled example (champion, challenger, previous
/// champion), learns it, and promotes or rolls back by its rules, writing every version to a <see cref="VersionStore"/>.
/// When the champion changes, the learner registers the new immutable model and claims a slot in the pipeline's ring
/// for a <see cref="MessageKind.ModelSwap"/> event: the swap enters the input sequence like any message, so the
/// scoring stage puts it in force exactly between two events, and the journal records it where it took effect.
/// </summary>
public sealed class OnlineLearning : IDisposable
{
    private static readonly TimeSpan FigureInterval = TimeSpan.FromMilliseconds(250);

    private readonly LabelJoinStore _join;
    private readonly ExampleQueue _queue;
    private readonly ChampionChallenger _controller;
    private readonly ModelRegistry _registry;
    private readonly int _dense;
    private readonly int _shadowLimit; // queue entries shadow decisions may fill (half the queue), 0 with shadow scoring off
    private readonly ManualResetEventSlim _running = new(initialState: true);
    private ModelEvent[] _transitions = [];
    private Thread? _thread;
    private volatile bool _stop;
    private Sequencer? _sequencer;
    private RingBuffer<PipelineSlot>? _ring;
    private uint _published;
    private long _figuresAt;
    private double _championAuc = double.NaN;
    private double _challengerAuc = double.NaN;
    private double _liveChampionAuc = double.NaN;
    private double _liveChallengerAuc = double.NaN;
    private long _shadowQueued;
    private long _commandsNotFollowed;
    private long _shadowSkipped;
    private Exception? _failure;
    private bool _disposed;

    /// <summary>
    /// Sets learning up from the pipeline's starting model <paramref name="initial"/> (which must be version 1) and, when
    /// the bootstrap kept it, the FTRL state behind its logistic part (copied) with the standardisation it learns in.
    /// Writes version 1 to the version store.
    /// </summary>
    public OnlineLearning(LearningOptions options, ServingModel initial, FtrlLearner? logisticState, InputScaling? scaling, ModelRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(registry);
        options.Validate();
        if (initial.Version != 1)
        {
            throw new ArgumentException($"Learning numbers versions from 1, the starting model; this one is v{initial.Version}.", nameof(initial));
        }

        var store = new VersionStore(options.VersionDirectory);
        if (store.Versions().Count > 0)
        {
            throw new ArgumentException($"{options.VersionDirectory} already holds model versions; learning writes its own from version 1 into an empty directory.", nameof(options));
        }

        _dense = initial.DenseCount;
        _registry = registry;
        _registry.Add(initial);
        // The shadow book remembers as many decisions as the join store, so every label that joins can judge its shadow score.
        var lifecycle = options.Lifecycle with { DenseCount = _dense, ShadowCapacity = options.ShadowScoring ? options.JoinCapacity : 0 };
        var learner = new ChampionLearner(initial.Champion, logisticState?.Clone(), options.Learner, scaling);
        _controller = new ChampionChallenger(lifecycle, null, store, learner);
        var published = new ServingModel(_controller.Champion, 1);
        if (published.Fingerprint != initial.Fingerprint)
        {
            throw new ArgumentException("The logistic state given is not the one behind the starting model's logistic part (version 1 would score differently).", nameof(logisticState));
        }

        _published = 1;
        _join = new LabelJoinStore(new LabelJoinOptions { Capacity = options.JoinCapacity, Retention = options.Retention, DenseCount = _dense, MaxSparseKeys = SparseKeyBuffer.Capacity });
        _queue = new ExampleQueue(options.QueueCapacity);
        _shadowLimit = options.ShadowScoring ? options.QueueCapacity / 2 : 0;
        Options = options;
        _transitions = [.. _controller.Events];
    }

    /// <summary>The options in force.</summary>
    public LearningOptions Options { get; }

    /// <summary>Every champion transition so far (installed, promoted, rolled back, spikes, drift), with its reason; a copy safe to read from any thread.</summary>
    public IReadOnlyList<ModelEvent> Transitions => Volatile.Read(ref _transitions);

    /// <summary>The label-join store's counters (unknown, evicted, duplicate labels); owned by the scoring thread, approximate elsewhere.</summary>
    public LabelJoinStore Join => _join;

    /// <summary>An exception that stopped the learner thread (the pipeline keeps scoring with the champion in force), or null.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>Current figures.</summary>
    public LearningStats Stats => new(
        _join.Stored, _controller.Learned, _queue.Count, _controller.QuarantinedFeatures, _controller.QuarantinedSpike,
        _controller.ChampionVersion, Volatile.Read(ref _championAuc), Volatile.Read(ref _challengerAuc))
    {
        ShadowScored = _controller.ShadowScored,
        LiveJudged = _controller.LiveJudged,
        ShadowSkipped = ShadowSkipped,
        LiveChampionAuc = Volatile.Read(ref _liveChampionAuc),
        LiveChallengerAuc = Volatile.Read(ref _liveChallengerAuc),
    };

    /// <summary>
    /// Scoring thread: logs a decision so that its label can join it later and, with
    /// <see cref="LearningOptions.ShadowScoring"/>, queues it for the challenger to score in shadow — never waiting, and
    /// only while the queue is less than half full (labels keep the other half); a decision that finds no room is counted
    /// in <see cref="ShadowSkipped"/>. Allocates nothing.
    /// </summary>
    public void OnDecision(ref PipelineSlot slot, ulong txId, long eventTimeNs)
    {
        ReadOnlySpan<float> dense = slot.Features[.._dense];
        ReadOnlySpan<ulong> keys = slot.Keys[..slot.KeyCount];
        if (_join.Record(txId, eventTimeNs, slot.Decision.Score, dense, keys) != RecordStatus.Stored || _shadowLimit == 0)
        {
            return;
        }

        ref LabelledExample shadow = ref _queue.TryClaim(_shadowLimit);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref shadow))
        {
            _shadowSkipped++;
            return;
        }

        shadow.Kind = ExampleKind.Decision;
        shadow.TxId = txId;
        shadow.LabelTimeNs = eventTimeNs;
        shadow.Score = slot.Decision.Score;
        shadow.DenseCount = (byte)dense.Length;
        shadow.KeyCount = (byte)keys.Length;
        dense.CopyTo(shadow.Dense);
        keys.CopyTo(shadow.Keys);
        _queue.Publish();
        _shadowQueued++;
    }

    /// <summary>
    /// Scoring thread: an operator's promote or rollback command has put <paramref name="version"/> in force; the learner
    /// adopts it as its champion, in input order with the labels around it. Never waits: with the queue full the command
    /// is counted in <see cref="CommandsNotFollowed"/> and the learner keeps its own champion.
    /// </summary>
    public void OnModelCommand(uint version, long eventTimeNs) => QueueCommand(ExampleKind.Command, version, eventTimeNs);

    /// <summary>
    /// Scoring thread: an operator's hold (<paramref name="hold"/>) or release, passed to the learner in input order with
    /// the labels around it. Never waits: with the queue full it is counted in <see cref="CommandsNotFollowed"/>.
    /// </summary>
    public void OnHoldCommand(bool hold, long eventTimeNs) => QueueCommand(hold ? ExampleKind.Hold : ExampleKind.Release, 0, eventTimeNs);

    /// <summary>Queues an operator's command for the learner (no features); a full queue counts it as not followed.</summary>
    private void QueueCommand(ExampleKind kind, ulong argument, long eventTimeNs)
    {
        ref LabelledExample slot = ref _queue.TryClaim();
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref slot))
        {
            Interlocked.Increment(ref _commandsNotFollowed);
            return;
        }

        slot.Kind = kind;
        slot.TxId = argument;
        slot.LabelTimeNs = eventTimeNs;
        slot.DenseCount = 0;
        slot.KeyCount = 0;
        _queue.Publish();
    }

    /// <summary>Operator commands the learner did not follow: the queue was full, or the version is not in its store.</summary>
    public long CommandsNotFollowed => Interlocked.Read(ref _commandsNotFollowed);

    /// <summary>Live decisions queued for shadow scoring (scoring thread's count).</summary>
    public long ShadowQueued => Volatile.Read(ref _shadowQueued);

    /// <summary>Live decisions not queued for shadow scoring because the learner was behind (scoring thread's count).</summary>
    public long ShadowSkipped => Volatile.Read(ref _shadowSkipped);

    /// <summary>Scoring thread: joins a label with its decision and queues the example for the learner. Never waits, allocates nothing.</summary>
    public LabelOutcome OnLabel(in Label label)
    {
        if (_join.TryJoin(label.TxId, label.LabelTimeNs, out var example) != JoinStatus.Joined)
        {
            return LabelOutcome.Unmatched;
        }

        ref LabelledExample slot = ref _queue.TryClaim();
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref slot))
        {
            return LabelOutcome.Dropped;
        }

        slot.Kind = ExampleKind.Label;
        slot.TxId = label.TxId;
        slot.LabelTimeNs = label.LabelTimeNs;
        slot.Fraud = label.Class == LabelClass.Fraud;
        slot.DenseCount = (byte)example.Dense.Length;
        slot.KeyCount = (byte)example.Keys.Length;
        example.Dense.CopyTo(slot.Dense);
        example.Keys.CopyTo(slot.Keys);
        _queue.Publish();
        return LabelOutcome.Queued;
    }

    /// <summary>Starts the learner thread; it injects swaps into <paramref name="ring"/> through <paramref name="sequencer"/> (which must accept several producers).</summary>
    public void Start(Sequencer sequencer, RingBuffer<PipelineSlot> ring)
    {
        ArgumentNullException.ThrowIfNull(sequencer);
        ArgumentNullException.ThrowIfNull(ring);
        if (sequencer is not MultiProducerSequencer)
        {
            throw new ArgumentException("The learner publishes swaps into the ring beside the receiver: the ring needs a multi-producer sequencer.", nameof(sequencer));
        }

        _sequencer = sequencer;
        _ring = ring;
        _thread = new Thread(Run) { Name = "learner", IsBackground = true, Priority = ThreadPriority.BelowNormal };
        _thread.Start();
    }

    /// <summary>Stops the learner thread (examples still queued are not learned); bounded wait.</summary>
    public void Stop()
    {
        if (_disposed)
        {
            return;
        }

        _stop = true;
        _running.Set();
        _thread?.Join(TimeSpan.FromSeconds(30));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        Stop();
        _disposed = true;
        _running.Dispose();
    }

    /// <summary>Test hook: holds the learner thread between batches (the queue fills and overflows) until <see cref="Resume"/>.</summary>
    internal void Pause() => _running.Reset();

    /// <summary>Test hook: lets a paused learner thread continue.</summary>
    internal void Resume() => _running.Set();

    private void Run()
    {
        try
        {
            while (!_stop)
            {
                _running.Wait();
                int taken = 0;
                while (taken < 4096 && !_stop && _queue.TryDequeue(out var example))
                {
                    ReadOnlySpan<float> dense = example.Dense;
                    ReadOnlySpan<ulong> keys = example.Keys;
                    taken++;
                    if (example.Kind == ExampleKind.Decision)
                    {
                        _controller.Shadow(example.TxId, example.Score, dense[..example.DenseCount], keys[..example.KeyCount]);
                        continue;
                    }

                    if (example.Kind == ExampleKind.Command)
                    {
                        if (_controller.Adopt((uint)example.TxId, example.LabelTimeNs))
                        {
                            // The command put this version in force already; the swap is published again anyway, because a
                            // promotion this thread published just before may sit behind the command in the ring and would
                            // otherwise leave the scorer on another version than the learner's champion. When the version
                            // is in force the swap changes nothing.
                            PublishChampion(example.LabelTimeNs);
                        }
                        else
                        {
                            Interlocked.Increment(ref _commandsNotFollowed);
                        }

                        continue;
                    }

                    if (example.Kind is ExampleKind.Hold or ExampleKind.Release)
                    {
                        // A hold keeps the champion the learner has now, including one whose swap it published just
                        // before (that swap still takes effect). A repeated hold or release changes nothing.
                        _ = example.Kind == ExampleKind.Hold ? _controller.Hold(example.LabelTimeNs) : _controller.Release(example.LabelTimeNs);
                        continue;
                    }

                    _controller.Learn(dense[..example.DenseCount], keys[..example.KeyCount], example.Fraud, example.LabelTimeNs, example.TxId);
                    if (_controller.ChampionVersion != _published)
                    {
                        PublishChampion(example.LabelTimeNs);
                    }
                }

                PublishFigures(force: false);
                if (taken == 0)
                {
                    Thread.Sleep(1);
                }
            }

            PublishFigures(force: true); // a stopped learner's figures are final
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The scoring thread is not affected: it keeps the champion in force. Reported through Failure.
            Volatile.Write(ref _failure, ex);
        }
    }

    /// <summary>Registers the controller's champion and puts a swap event into the input sequence.</summary>
    private void PublishChampion(long eventTimeNs)
    {
        uint version = _controller.ChampionVersion;
        var model = _registry.Find(version) ?? new ServingModel(_controller.Champion, version, "learner");
        _registry.Add(model);
        long sequence;
        while (!_sequencer!.TryNext(1, out sequence))
        {
            if (_stop)
            {
                return;
            }

            Thread.Sleep(0);
        }

        ref PipelineSlot slot = ref _ring![sequence];
        slot.Kind = MessageKind.ModelSwap;
        slot.Rejected = false;
        slot.RejectReason = PipelineReject.None;
        slot.IngestTicks = Stopwatch.GetTimestamp();
        slot.Control = new ControlMessage { RequestId = model.Fingerprint, EventTimeNs = eventTimeNs, ModelVersion = version, Command = ControlCommand.PromoteModel };
        _sequencer.Publish(sequence);
        _published = version;
    }

    private void PublishFigures(bool force)
    {
        if (_controller.Events.Count != _transitions.Length)
        {
            Volatile.Write(ref _transitions, [.. _controller.Events]);
        }

        long now = Stopwatch.GetTimestamp();
        if (force || Stopwatch.GetElapsedTime(_figuresAt, now) >= FigureInterval)
        {
            _figuresAt = now;
            Volatile.Write(ref _championAuc, _controller.ChampionWindow.Auc());
            Volatile.Write(ref _challengerAuc, _controller.ChallengerWindow.Auc());
            Volatile.Write(ref _liveChampionAuc, _controller.LiveChampionWindow.Auc());
            Volatile.Write(ref _liveChallengerAuc, _controller.LiveChallengerWindow.Auc());
        }
    }
}
