using System.Runtime.CompilerServices;
using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Learning;
using LowLatency.Engine.Ring;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// The work of each stage, written once and called by both topologies. State that a stage owns (feature
/// tables, counters) is touched only by the thread that runs that stage.
/// </summary>
internal sealed class StageState(PipelineOptions options, ServingModel model, DecisionPolicy policy, Featurizer features, ModelRegistry registry) : IDisposable
{
    private ServingModel _model = model;
    private ServingModel? _previous;

    /// <summary>The champion a RollbackModel command returns to, or null (written by the scoring stage).</summary>
    public ServingModel? PreviousModel => Volatile.Read(ref _previous);
    private DecisionPolicy _policy = policy;

    /// <summary>The versions swaps may name.</summary>
    public readonly ModelRegistry Registry = registry;

    /// <summary>Continual learning (decision log, label join, learner queue), or null when off. Set before the threads start.</summary>
    public OnlineLearning? Learning;

    /// <summary>The rolling features; owned by the features stage's thread.</summary>
    public readonly Featurizer Features = features;

    /// <summary>Which decisions carry reason codes.</summary>
    private readonly ReasonCodes _reasons = options.Reasons;

    /// <summary>The message kind this flow scores (the feature spec's event type).</summary>
    public readonly MessageKind Scored = options.Features.Event == FeatureEventKind.Order ? MessageKind.Order : MessageKind.Transaction;

    /// <summary>Counters, each field written by one stage's thread.</summary>
    public PipelineCounters Counters;

    /// <summary>
    /// The champion, read once per event. Swapped by the scoring thread when a swap slot passes (release write, so a
    /// monitor reading it sees the whole model), or by the owner while the pipeline is not running.
    /// </summary>
    public ServingModel Model
    {
        get => Volatile.Read(ref _model);
        set => Volatile.Write(ref _model, value);
    }

    /// <summary>The thresholds in force.</summary>
    public DecisionPolicy Policy
    {
        get => Volatile.Read(ref _policy);
        set => Volatile.Write(ref _policy, value);
    }

    /// <summary>
    /// Called on the features thread when a Snapshot control message passes, with its ring sequence: the feature state
    /// then reflects exactly the messages before it. Null: snapshot requests are only counted.
    /// </summary>
    public Action<long>? SnapshotRequested;

    /// <summary>
    /// Called on the features thread when a PromoteModel or RollbackModel control message passes, with the message and its
    /// ring sequence, so a model swap takes effect at a definite point of the input. Null: such commands are only counted.
    /// </summary>
    public Action<ControlMessage, long>? ModelCommandRequested;

    /// <summary>
    /// Starts loading the feature state <paramref name="upcoming"/> (the next published slot of this batch) will touch,
    /// so its cache misses overlap with the work on the current one. A hint: it changes no result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(ref PipelineSlot upcoming)
    {
        if (upcoming.Kind != Scored)
        {
            return;
        }

        if (Scored == MessageKind.Transaction)
        {
            Features.Store.Prefetch(in upcoming.Transaction);
        }
        else
        {
            Features.Store.Prefetch(in upcoming.Order);
        }
    }

    /// <summary>Validates the message and computes its features (features stage).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Featurize(ref PipelineSlot slot, long sequence)
    {
        FeatureStatus status;
        switch (slot.Kind)
        {
            case MessageKind.Transaction:
                Counters.TransactionsIn++;
                if (Scored != MessageKind.Transaction)
                {
                    return;
                }

                status = Features.Process(slot.Transaction, slot.Features);
                slot.KeyCount = (byte)SparseKeys.Write(slot.Transaction, slot.Keys);
                break;
            case MessageKind.Order:
                Counters.OrdersIn++;
                if (Scored != MessageKind.Order)
                {
                    return;
                }

                status = Features.Process(slot.Order, slot.Features);
                slot.KeyCount = (byte)SparseKeys.Write(slot.Order, slot.Keys);
                break;
            case MessageKind.Label:
                Counters.LabelsIn++;
                return;
            case MessageKind.Control:
                Counters.ControlsIn++;
                if (slot.Control.Command == ControlCommand.Snapshot)
                {
                    SnapshotRequested?.Invoke(sequence);
                }
                else if (slot.Control.Command is ControlCommand.PromoteModel or ControlCommand.RollbackModel)
                {
                    ModelCommandRequested?.Invoke(slot.Control, sequence);
                }

                return;
            case MessageKind.ModelSwap:
                return; // the scoring stage puts it in force
            default:
                Reject(ref slot, PipelineReject.UnsupportedKind);
                return;
        }

        switch (status)
        {
            case FeatureStatus.Late:
                // Scored with the features as they stand; the store counted it and left its state alone.
                Counters.LateEvents++;
                break;
            case FeatureStatus.RejectedFuture:
                Reject(ref slot, PipelineReject.EventTimeInFuture);
                break;
            case FeatureStatus.RejectedInvalidTime:
                Reject(ref slot, PipelineReject.InvalidField);
                break;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Features.Dispose();

    /// <summary>
    /// Scores a featurized message, chooses its outcome by the policy in force and keeps its top reasons when the
    /// configuration asks for them, logging it for learning (scoring stage). Labels join their
    /// decisions here and model swaps take effect here, so every event is scored whole by the model in force at its
    /// place in the input sequence.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Score(ref PipelineSlot slot)
    {
        if (slot.Kind == Scored)
        {
            if (!slot.Rejected)
            {
                _model.Score(ref slot, Policy, _reasons);
                LogDecision(ref slot);
            }

            return;
        }

        switch (slot.Kind)
        {
            case MessageKind.Label:
                OnLabel(ref slot);
                break;
            case MessageKind.Control or MessageKind.ModelSwap:
                Swap(ref slot);
                break;
        }
    }

    /// <summary>
    /// <see cref="Score(ref PipelineSlot)"/> for a scored, unrejected event whose trees' margin under the model in force
    /// was computed beforehand (<see cref="AllStagesHandler{TSink}"/>'s groups): the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Score(ref PipelineSlot slot, float treeMargin)
    {
        _model.Score(ref slot, Policy, _reasons, treeMargin);
        LogDecision(ref slot);
    }

    /// <summary>Hands a scored event's decision to continual learning, when it is on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void LogDecision(ref PipelineSlot slot)
    {
        if (Learning is { } learning)
        {
            bool order = slot.Kind == MessageKind.Order;
            learning.OnDecision(ref slot, order ? slot.Order.OrderId : slot.Transaction.TxId, order ? slot.Order.EventTimeNs : slot.Transaction.EventTimeNs);
        }
    }

    /// <summary>Counts the outcome the scoring stage chose and hands the decision to the sink (decide stage).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Decide<TSink, TWait>(ref PipelineSlot slot, ref TSink sink, ref TWait idle)
        where TSink : struct, IDecisionSink
        where TWait : struct, IIdleStrategy
    {
        if (slot.Kind != Scored || slot.Rejected)
        {
            sink.OnOther(ref slot);
            return;
        }

        var outcome = slot.Decision.Outcome; // chosen by the scoring stage, which needs it to know whether to explain
        slot.Decision.TxId = slot.Kind == MessageKind.Order ? slot.Order.OrderId : slot.Transaction.TxId;
        switch (outcome)
        {
            case Outcome.Approve: Counters.Approved++; break;
            case Outcome.Review: Counters.Reviewed++; break;
            default: Counters.Declined++; break;
        }

        while (!sink.TryPublish(ref slot))
        {
            Counters.PublishBackPressured++;
            idle.Idle();
        }

        Counters.DecisionsPublished++;
    }

    private void OnLabel(ref PipelineSlot slot)
    {
        if (slot.Rejected)
        {
            return;
        }

        switch (Learning?.OnLabel(slot.Label) ?? LabelOutcome.Unmatched)
        {
            case LabelOutcome.Queued: Counters.LabelsJoined++; break;
            case LabelOutcome.Dropped: Counters.LabelsDropped++; break;
            default: Counters.LabelsUnmatched++; break;
        }
    }

    /// <summary>
    /// Puts a swap in force between this slot and the next: the engine's own (version and fingerprint must match a
    /// registered model), or a Promote/Rollback control (by version, or back to the model before the current one).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // rare: keep the per-event path small
    private void Swap(ref PipelineSlot slot)
    {
        if (slot.Rejected)
        {
            return;
        }

        ref ControlMessage c = ref slot.Control;
        ServingModel? next;
        if (slot.Kind == MessageKind.ModelSwap)
        {
            next = Registry.Find(c.ModelVersion);
            if (next is null || next.Fingerprint != c.RequestId)
            {
                Counters.SwapsRefused++;
                return;
            }
        }
        else if (c.Command == ControlCommand.PromoteModel)
        {
            next = Registry.Find(c.ModelVersion);
        }
        else if (c.Command == ControlCommand.RollbackModel)
        {
            next = _previous;
        }
        else
        {
            if (c.Command is ControlCommand.HoldModel or ControlCommand.ReleaseModel)
            {
                // The learner's business alone (no model changes here); without learning there is nothing to hold.
                Learning?.OnHoldCommand(c.Command == ControlCommand.HoldModel, c.EventTimeNs);
            }

            return;
        }

        if (next is null)
        {
            Counters.SwapsRefused++;
            return;
        }

        if (!ReferenceEquals(next, _model))
        {
            Volatile.Write(ref _previous, _model);
            Model = next;
            Counters.ModelSwaps++;
            if (slot.Kind == MessageKind.Control)
            {
                Learning?.OnModelCommand(next.Version, c.EventTimeNs); // an operator's choice: the learner follows it
            }
        }
    }

    private void Reject(ref PipelineSlot slot, PipelineReject reason)
    {
        slot.Rejected = true;
        slot.RejectReason = reason;
        Counters.Rejected++;
    }
}

/// <summary>What the decide stage does while the sink pushes back.</summary>
public interface IIdleStrategy
{
    /// <summary>Waits a little.</summary>
    void Idle();
}

/// <summary>Yield the core while the output is full.</summary>
public struct YieldIdle : IIdleStrategy
{
    /// <inheritdoc/>
    public readonly void Idle() => Thread.Yield();
}

/// <summary>
/// All stages back to back on one thread. Within a batch the next slot is published, so its feature state is
/// prefetched before this one is processed. With <see cref="PipelineOptions.ScoreInGroups"/> the scoring and deciding of
/// a run of slots waits until the run ends (32 scored events, the end of the ring batch, or a control or model-swap
/// message, which is handled alone after the run): the trees of the whole run are then evaluated in one pass across
/// events, and every slot is scored and decided in sequence order as before.
/// </summary>
internal struct AllStagesHandler<TSink>(StageState state, RingBuffer<PipelineSlot> ring, TSink sink, bool groups = false) : IEventHandler<PipelineSlot>
    where TSink : struct, IDecisionSink
{
    private TSink _sink = sink;
    private YieldIdle _idle;
    private readonly ScoreGroup? _group = groups ? new ScoreGroup() : null;

    public void OnEvent(ref PipelineSlot evt, long sequence, bool endOfBatch)
    {
        if (!endOfBatch)
        {
            state.Prefetch(ref ring[sequence + 1]);
        }

        if (_group is { } group)
        {
            Grouped(group, ref evt, sequence, endOfBatch);
        }
        else
        {
            Whole(ref evt, sequence);
        }

        if (endOfBatch)
        {
            _sink.Flush();
        }
    }

    /// <summary>Every stage for one slot, at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Whole(ref PipelineSlot evt, long sequence)
    {
        state.Featurize(ref evt, sequence);
        state.Score(ref evt);
        state.Decide(ref evt, ref _sink, ref _idle);
    }

    /// <summary>
    /// Grouped handling of one slot. A fault anywhere leaves no slot of the group undecided: the processor releases the
    /// ring up to the slot being handled when the exception reaches it, so the group is drained first, and a control slot
    /// is still put in force after a fault in the group before it. Every faulting slot is reported, at its own sequence
    /// (<see cref="EventFaultsException"/>).
    /// </summary>
    private void Grouped(ScoreGroup group, ref PipelineSlot evt, long sequence, bool endOfBatch)
    {
        if (evt.Kind is MessageKind.Control or MessageKind.ModelSwap)
        {
            // Everything before it is scored by the model in force before it, and its callbacks see them decided.
            List<(long, Exception)>? faults = DrainCatching(group);
            try
            {
                Whole(ref evt, sequence);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                (faults ??= []).Add((sequence, ex));
            }

            ThrowIfAny(faults);
            return;
        }

        try
        {
            state.Featurize(ref evt, sequence);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // This slot is a fault (not decided, as without groups); the ones before it are decided now.
            List<(long, Exception)>? faults = DrainCatching(group);
            (faults ??= []).Add((sequence, ex));
            throw new EventFaultsException(faults);
        }

        if (group.Count++ == 0)
        {
            group.First = sequence;
        }

        if (evt.Kind == state.Scored && !evt.Rejected)
        {
            ((ReadOnlySpan<float>)evt.Features).CopyTo(group.Row(group.Rows++));
        }

        if (group.Rows == PipelineOptions.ScoreGroupSize || endOfBatch)
        {
            ThrowIfAny(DrainCatching(group));
        }
    }

    private static void ThrowIfAny(List<(long, Exception)>? faults)
    {
        if (faults is not null)
        {
            throw new EventFaultsException(faults);
        }
    }

    /// <summary>
    /// Scores the group's trees across its events, then scores and decides each slot in order. A slot that throws is
    /// skipped and the rest still handled (none is left undecided when its ring slot is released). Returns the faults
    /// (null when none, so nothing is allocated): each failing slot's sequence and exception. Should the batch scoring
    /// itself fail, every slot is scored on its own instead, and that failure is reported once, at the group's first slot.
    /// </summary>
    private List<(long, Exception)>? DrainCatching(ScoreGroup group)
    {
        if (group.Count == 0)
        {
            return null;
        }

        long first = group.First;
        int count = group.Count, rows = group.Rows;
        group.Count = group.Rows = 0;
        Models.Trees.TreeEnsemble? trees = state.Model.Champion.Trees;
        List<(long, Exception)>? faults = null;
        try
        {
            trees?.MarginBatch(group.Staging, FeatureBuffer.Capacity, group.Margins.AsSpan(0, rows));
            state.Counters.ScoredInGroups += trees is not null && trees.ScoresAcrossRows(rows) ? rows : 0;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            (faults ??= []).Add((first, ex));
            trees = null; // score each slot on its own: a slot that cannot be scored then fails alone
        }

        int row = 0;
        for (long s = first; s < first + count; s++)
        {
            ref PipelineSlot slot = ref ring[s];
            bool scored = slot.Kind == state.Scored && !slot.Rejected;
            try
            {
                if (scored && trees is not null)
                {
                    state.Score(ref slot, group.Margins[row]);
                }
                else
                {
                    state.Score(ref slot);
                }

                state.Decide(ref slot, ref _sink, ref _idle);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                (faults ??= []).Add((s, ex));
            }

            row += scored ? 1 : 0;
        }

        return faults;
    }
}

/// <summary>The run of slots an <see cref="AllStagesHandler{TSink}"/> scores together, and the dense features of its scored events.</summary>
internal sealed class ScoreGroup
{
    /// <summary>Dense features of the group's scored events, a row of <see cref="FeatureBuffer.Capacity"/> floats each.</summary>
    public readonly float[] Staging = new float[PipelineOptions.ScoreGroupSize * FeatureBuffer.Capacity];

    /// <summary>Their tree margins.</summary>
    public readonly float[] Margins = new float[PipelineOptions.ScoreGroupSize];

    /// <summary>Sequence of the group's first slot.</summary>
    public long First;

    /// <summary>Slots in the group (any kind).</summary>
    public int Count;

    /// <summary>Scored events among them (rows of <see cref="Staging"/> in use).</summary>
    public int Rows;

    /// <summary>Row <paramref name="i"/> of <see cref="Staging"/>.</summary>
    public Span<float> Row(int i) => Staging.AsSpan(i * FeatureBuffer.Capacity, FeatureBuffer.Capacity);
}

/// <summary>Features stage alone (pipelined topology), prefetching for the next slot of the batch like <see cref="AllStagesHandler{TSink}"/>.</summary>
internal readonly struct FeatureHandler(StageState state, RingBuffer<PipelineSlot> ring) : IEventHandler<PipelineSlot>
{
    public void OnEvent(ref PipelineSlot evt, long sequence, bool endOfBatch)
    {
        if (!endOfBatch)
        {
            state.Prefetch(ref ring[sequence + 1]);
        }

        state.Featurize(ref evt, sequence);
    }
}

/// <summary>Scoring stage alone (pipelined topology).</summary>
internal readonly struct ScoreHandler(StageState state) : IEventHandler<PipelineSlot>
{
    public void OnEvent(ref PipelineSlot evt, long sequence, bool endOfBatch) => state.Score(ref evt);
}

/// <summary>Decide and publish stage alone (pipelined topology).</summary>
internal struct DecideHandler<TSink>(StageState state, TSink sink) : IEventHandler<PipelineSlot>
    where TSink : struct, IDecisionSink
{
    private TSink _sink = sink;
    private YieldIdle _idle;

    public void OnEvent(ref PipelineSlot evt, long sequence, bool endOfBatch)
    {
        state.Decide(ref evt, ref _sink, ref _idle);
        if (endOfBatch)
        {
            _sink.Flush();
        }
    }
}
