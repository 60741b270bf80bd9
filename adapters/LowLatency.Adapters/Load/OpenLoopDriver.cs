using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Load;

/// <summary>What a drive sent.</summary>
/// <param name="Transactions">Messages published that get a decision (transactions, or orders on the orders flow).</param>
/// <param name="Labels">Other messages published (labels).</param>
/// <param name="Elapsed">Wall time from the first due time to the last publish.</param>
/// <param name="MaxLagNs">Largest delay between an event's due time and its publish (the ring was full, or the driver was descheduled).</param>
public readonly record struct DriveResult(long Transactions, long Labels, TimeSpan Elapsed, long MaxLagNs);

/// <summary>
/// Feeds simulator events into a pipeline at a fixed offered rate, open loop: event i is due at
/// start + i / rate whatever happened to earlier events, and its latency is measured from that due time.
/// When the engine falls behind, the lag shows up in the latencies instead of slowing the offered load down
/// (the coordinated-omission trap of closed-loop load generators). Rate 0 means as fast as the ring accepts.
/// </summary>
public sealed class OpenLoopDriver(IFlowSource source, TruthBoard truth)
{
    /// <summary>Drives <paramref name="pipeline"/> for <paramref name="duration"/> or until cancelled; <paramref name="progress"/> hears the transactions sent, about every 65k events.</summary>
    public DriveResult Run<TSink>(ScoringPipeline<TSink> pipeline, double rate, TimeSpan duration, CancellationToken cancel = default, Action<long>? progress = null)
        where TSink : struct, IDecisionSink
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var clock = new OpenLoopSchedule(rate, duration);
        var sequencer = pipeline.Sequencer;
        var ring = pipeline.Ring;
        long transactions = 0, labels = 0;
        for (long i = 0; clock.Running && !cancel.IsCancellationRequested; i++)
        {
            long due = clock.WaitUntilDue(i);
            long s = sequencer.Next();
            ref var slot = ref ring[s];
            slot.IngestTicks = due;
            slot.Rejected = false;
            source.Next(ref slot, out GroundTruth groundTruth);
            switch (slot.Kind)
            {
                case MessageKind.Transaction:
                    truth.Set(slot.Transaction.TxId, groundTruth);
                    transactions++;
                    break;
                case MessageKind.Order:
                    truth.Set(slot.Order.OrderId, groundTruth);
                    transactions++;
                    break;
                default:
                    labels++;
                    break;
            }

            sequencer.Publish(s);
            clock.Sent(due);

            if ((i & 0xFFFF) == 0xFFFF)
            {
                progress?.Invoke(transactions);
            }
        }

        return new DriveResult(transactions, labels, clock.Elapsed, clock.MaxLagNs);
    }
}
