using System.Diagnostics;
using LowLatency.Engine.Events;
using LowLatency.Engine.Metrics;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Files;

/// <summary>One decision as the report needs it.</summary>
/// <param name="TxId">Transaction id.</param>
/// <param name="EventTimeNs">The transaction's event time.</param>
/// <param name="Score">Score.</param>
/// <param name="Outcome">Outcome.</param>
public readonly record struct DecidedEvent(ulong TxId, long EventTimeNs, float Score, Outcome Outcome);

/// <summary>One label seen in the stream.</summary>
/// <param name="TxId">Transaction labelled.</param>
/// <param name="LabelTimeNs">When the label became known.</param>
/// <param name="Fraud">Fraud (true) or genuine.</param>
public readonly record struct SeenLabel(ulong TxId, long LabelTimeNs, bool Fraud);

/// <summary>
/// What a replay report is drawn from, gathered on the decide thread: every decision (event time, score, outcome),
/// every label, and the processing latency from ingest to publish. The lists grow (amortised allocation): recording
/// is for reports, and a replay without <c>--report</c> does not record.
/// </summary>
public sealed class ReplayRecorder
{
    private static readonly double NsPerTick = 1e9 / Stopwatch.Frequency;

    /// <summary>Decisions in publish order.</summary>
    public List<DecidedEvent> Decisions { get; } = new(1 << 16);

    /// <summary>Labels in stream order.</summary>
    public List<SeenLabel> Labels { get; } = new(1 << 12);

    /// <summary>Ingest-to-publish latency of every decision, ns.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Messages the pipeline rejected (decode or validation).</summary>
    public long Rejected { get; private set; }

    /// <summary>Records a published decision.</summary>
    public void OnDecision(ref PipelineSlot slot)
    {
        Latency.Record((long)((Stopwatch.GetTimestamp() - slot.IngestTicks) * NsPerTick));
        Decisions.Add(new DecidedEvent(slot.Decision.TxId, slot.Transaction.EventTimeNs, slot.Decision.Score, slot.Decision.Outcome));
    }

    /// <summary>Records a non-decision message (labels kept, rejects counted).</summary>
    public void OnOther(ref PipelineSlot slot)
    {
        if (slot.Rejected || slot.Kind == MessageKind.None)
        {
            Rejected++;
        }
        else if (slot.Kind == MessageKind.Label)
        {
            Labels.Add(new SeenLabel(slot.Label.TxId, slot.Label.LabelTimeNs, slot.Label.Class == LabelClass.Fraud));
        }
    }
}
