using System.Runtime.CompilerServices;
using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Ring;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// The work of each stage, written once and called by both topologies. State that a stage owns (feature
/// tables, counters) is touched only by the thread that runs that stage.
/// </summary>
internal sealed class StageState(PipelineOptions options, ServingModel model, DecisionPolicy policy, Featurizer features) : IDisposable
{
    private ServingModel _model = model;
    private DecisionPolicy _policy = policy;

    /// <summary>The rolling features; owned by the features stage's thread.</summary>
    public readonly Featurizer Features = features;

    /// <summary>The message kind this flow scores (the feature spec's event type).</summary>
    public readonly MessageKind Scored = options.Features.Event == FeatureEventKind.Order ? MessageKind.Order : MessageKind.Transaction;

    /// <summary>Counters, each field written by one stage's thread.</summary>
    public PipelineCounters Counters;

    /// <summary>The champion, read once per event; replaced by one reference write.</summary>
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
                if (slot.Control.Command == ControlCommand.Snapshot && SnapshotRequested is { } snapshot)
                {
                    snapshot(sequence);
                }

                return;
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

    /// <summary>Scores a featurized message and keeps its top reasons (scoring stage).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Score(ref PipelineSlot slot)
    {
        if (slot.Kind != Scored || slot.Rejected)
        {
            return;
        }

        Model.Score(ref slot);
    }

    /// <summary>Applies the policy and hands the decision to the sink (decide stage).</summary>
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

        var outcome = Policy.Decide(slot.Decision.Score);
        slot.Decision.Outcome = outcome;
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

/// <summary>All stages back to back on one thread.</summary>
internal struct AllStagesHandler<TSink>(StageState state, TSink sink) : IEventHandler<PipelineSlot>
    where TSink : struct, IDecisionSink
{
    private TSink _sink = sink;
    private YieldIdle _idle;

    public void OnEvent(ref PipelineSlot evt, long sequence, bool endOfBatch)
    {
        state.Featurize(ref evt, sequence);
        state.Score(ref evt);
        state.Decide(ref evt, ref _sink, ref _idle);
        if (endOfBatch)
        {
            _sink.Flush();
        }
    }
}

/// <summary>Features stage alone (pipelined topology).</summary>
internal readonly struct FeatureHandler(StageState state) : IEventHandler<PipelineSlot>
{
    public void OnEvent(ref PipelineSlot evt, long sequence, bool endOfBatch) => state.Featurize(ref evt, sequence);
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
