using System.Diagnostics;
using LowLatency.Adapters.Gateway;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;
using LowLatency.Engine.Metrics;

namespace LowLatency.Adapters.Load;

/// <summary>
/// The gateway-side twin of <see cref="MonitoringSink"/> for runs over the wire: records each decision's latency from the
/// transaction's due time (what the load driver passed as the send ticks) to its arrival back at the gateway, and scores
/// the outcome against the ground truth. Runs on the gateway client's receive thread (the recorder's single writer).
/// </summary>
public readonly struct MonitoringListener(IntervalRecorder latency, OutcomeTally tally, TruthBoard truth, MonitoringListener.UnmatchedCounter unmatched) : IDecisionListener
{
    private static readonly double NsPerTick = 1e9 / Stopwatch.Frequency;

    /// <inheritdoc/>
    public void OnDecision(in Decision decision, ReadOnlySpan<WireReason> reasons, long sentTicks, long receivedTicks)
    {
        latency.Record((long)((receivedTicks - sentTicks) * NsPerTick));
        tally.Add(decision.Outcome, truth.Get(decision.TxId));
    }

    /// <inheritdoc/>
    public void OnUnmatched(in Decision decision) => unmatched.Increment();

    /// <summary>Decisions that matched no pending transaction (a correct run keeps it at 0).</summary>
    public sealed class UnmatchedCounter
    {
        private long _count;

        /// <summary>The count so far.</summary>
        public long Count => Volatile.Read(ref _count);

        internal void Increment() => Interlocked.Increment(ref _count);
    }
}
