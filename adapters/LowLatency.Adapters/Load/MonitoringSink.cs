using System.Diagnostics;
using LowLatency.Engine.Metrics;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Load;

/// <summary>
/// The in-process output used by <c>demo</c> and <c>bench</c>: records each decision's latency from its
/// ingest (due) time to now into an interval recorder, and scores the outcome against the ground truth.
/// </summary>
public readonly struct MonitoringSink(IntervalRecorder latency, OutcomeTally tally, TruthBoard truth) : IDecisionSink
{
    private static readonly double NsPerTick = 1e9 / Stopwatch.Frequency;

    /// <inheritdoc/>
    public bool TryPublish(ref PipelineSlot slot)
    {
        long now = Stopwatch.GetTimestamp();
        slot.Decision.IngestTimeNs = (long)(slot.IngestTicks * NsPerTick);
        slot.Decision.DecideTimeNs = (long)(now * NsPerTick);
        latency.Record((long)((now - slot.IngestTicks) * NsPerTick));
        tally.Add(slot.Decision.Outcome, truth.Get(slot.Decision.TxId));
        return true;
    }

    /// <inheritdoc/>
    public void OnOther(ref PipelineSlot slot) => tally.AddOther();

    /// <inheritdoc/>
    public void Flush()
    {
    }
}
