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
/// With a pipeline built <see cref="PipelineOptions.PolledByCaller"/> the driver's thread also runs the stages: it
/// polls the pipeline after each event (every <see cref="UnpacedPollBatch"/> events when unpaced, at most half the ring) and while it waits
/// for the next due time, so one thread does all the work, as the engine's network thread does over UDP.
/// </summary>
public sealed class OpenLoopDriver(IFlowSource source, TruthBoard truth)
{
    /// <summary>Events published between polls of a caller-polled pipeline when unpaced (batches let the stages prefetch).</summary>
    public const int UnpacedPollBatch = 64;

    /// <summary>Drives <paramref name="pipeline"/> for <paramref name="duration"/> or until cancelled; <paramref name="progress"/> hears the transactions sent, about every 65k events.</summary>
    public DriveResult Run<TSink>(ScoringPipeline<TSink> pipeline, double rate, TimeSpan duration, CancellationToken cancel = default, Action<long>? progress = null)
        where TSink : struct, IDecisionSink
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var clock = new OpenLoopSchedule(rate, duration);
        var sequencer = pipeline.Sequencer;
        var ring = pipeline.Ring;
        long transactions = 0, labels = 0;
        Func<int>? poll = pipeline.Options.PolledByCaller ? () => pipeline.Poll() : null;
        long pollMask = rate > 0 ? 0 : Math.Min(UnpacedPollBatch, Math.Max(1, pipeline.Options.RingSize / 2)) - 1;
        for (long i = 0; clock.Running && !cancel.IsCancellationRequested; i++)
        {
            long due = clock.WaitUntilDue(i, poll);
            long s;
            if (poll is null)
            {
                s = sequencer.Next();
            }
            else
            {
                // This thread is the stages' only runner: never block on a full ring, run them until a slot frees.
                while (!sequencer.TryNext(1, out s))
                {
                    if (pipeline.Poll() == 0)
                    {
                        Thread.SpinWait(1);
                    }
                }
            }

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
            if (poll is not null && (i & pollMask) == pollMask)
            {
                // Never more than a batch ahead of the stages: the ring cannot fill while this thread is its only consumer.
                pipeline.Poll();
            }

            if ((i & 0xFFFF) == 0xFFFF)
            {
                progress?.Invoke(transactions);
            }
        }

        var result = new DriveResult(transactions, labels, clock.Elapsed, clock.MaxLagNs);
        while (poll is not null && pipeline.Poll() > 0)
        {
            // The rest of the last batch: this thread is the only one that runs the stages.
        }

        return result;
    }
}
