using System.Diagnostics;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;
using LowLatency.Engine.Journal;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Files;

/// <summary>
/// Feeds a pipeline from a recorded source, exactly as a live receiver does: claim a slot, decode the SBE message into
/// it, stamp the ingest time, publish. <paramref name="speed"/> 0 replays as fast as the ring accepts; otherwise the
/// recorded pace (receive times, or event times when the source has none) divided by the factor (1 = real time).
/// </summary>
/// <param name="speed">0 for as fast as possible, else the speed-up factor over the recorded pace.</param>
public sealed class ReplayDriver(double speed)
{
    private readonly InboundDecoder _decoder = new();

    /// <summary>Decode outcomes by reason.</summary>
    public DecodeCounters DecodeCounters => _decoder.Counters;

    /// <summary>
    /// <see cref="Run"/>, then waits up to <paramref name="drainTimeout"/> for the pipeline to decide every message it was
    /// given, and stops it. The result's <see cref="ReplayResult.Elapsed"/> then runs to the last decision, so its rate is
    /// the pipeline's. <see cref="Run"/>'s own ends when the last message entered the ring, which for a replay of a few
    /// ring lengths or less is mostly the reading. Null when the pipeline did not drain in time.
    /// </summary>
    public ReplayResult? RunAndDrain<TSink>(IMessageSource source, ScoringPipeline<TSink> pipeline, TimeSpan drainTimeout, CancellationToken cancel = default, Action<double>? progress = null)
        where TSink : struct, IDecisionSink
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        long start = Stopwatch.GetTimestamp();
        ReplayResult fed = Run(source, pipeline, cancel, progress);
        return pipeline.DrainAndStop(drainTimeout) ? fed with { Elapsed = Stopwatch.GetElapsedTime(start) } : null;
    }

    /// <summary>Runs <paramref name="source"/> to its end (or cancellation) into <paramref name="pipeline"/>; <paramref name="progress"/> hears the source's progress about every 65k messages.</summary>
    public ReplayResult Run<TSink>(IMessageSource source, ScoringPipeline<TSink> pipeline, CancellationToken cancel = default, Action<double>? progress = null)
        where TSink : struct, IDecisionSink
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(pipeline);
        if (!(speed >= 0) || double.IsInfinity(speed))
        {
            throw new ArgumentOutOfRangeException(nameof(speed), speed, "Speed must be 0 (as fast as possible) or a positive factor.");
        }

        var sequencer = pipeline.Sequencer;
        var ring = pipeline.Ring;
        long messages = 0, rejects = 0, swaps = 0, skipped = 0;
        long firstRecordedNs = long.MinValue, firstWall = 0;
        double ticksPerRecordedNs = speed > 0 ? Stopwatch.Frequency / 1e9 / speed : 0;
        long start = Stopwatch.GetTimestamp();
        while (!cancel.IsCancellationRequested && source.TryNext(out var m))
        {
            if (m.Type == JournalRecordType.ModelSwap)
            {
                // The swap goes into the input where it was recorded: the pipeline puts it in force between the same
                // two events, if it has that version with that fingerprint (else it counts the swap as refused).
                swaps++;
                if (!ModelSwapRecord.TryDecode(m.Bytes, out var swap))
                {
                    skipped++;
                    continue;
                }

                long at = sequencer.Next();
                ref var swapSlot = ref ring[at];
                swapSlot.Kind = MessageKind.ModelSwap;
                swapSlot.Rejected = false;
                swapSlot.RejectReason = PipelineReject.None;
                swapSlot.Control = new ControlMessage { ModelVersion = swap.Version, RequestId = swap.Fingerprint, Command = ControlCommand.PromoteModel };
                swapSlot.IngestTicks = Stopwatch.GetTimestamp();
                sequencer.Publish(at);
                continue;
            }

            if (m.Type is not (>= JournalRecordType.Transaction and <= JournalRecordType.Control))
            {
                skipped++;
                continue;
            }

            long s = sequencer.Next();
            ref var slot = ref ring[s];
            if (_decoder.Decode(m.Bytes, ref slot, out _) != DecodeStatus.Ok)
            {
                rejects++;
            }

            if (speed > 0)
            {
                long recorded = m.ReceiveTimeNs != 0 ? m.ReceiveTimeNs : EventTime(ref slot);
                if (recorded != long.MinValue && firstRecordedNs == long.MinValue)
                {
                    firstRecordedNs = recorded;
                    firstWall = Stopwatch.GetTimestamp();
                }

                if (recorded != long.MinValue)
                {
                    // In double, clamped: a tiny factor must wait long, not wrap around to "already due".
                    double due = firstWall + ((recorded - firstRecordedNs) * ticksPerRecordedNs);
                    WaitUntil(due >= long.MaxValue ? long.MaxValue : (long)due, cancel);
                }
            }

            slot.IngestTicks = Stopwatch.GetTimestamp();
            sequencer.Publish(s);
            if ((++messages & 0xFFFF) == 0)
            {
                progress?.Invoke(source.Progress);
            }
        }

        progress?.Invoke(source.Progress);
        return new ReplayResult(messages, rejects, swaps, skipped, Stopwatch.GetElapsedTime(start));
    }

    private static long EventTime(ref PipelineSlot slot) => slot.Kind switch
    {
        MessageKind.Transaction => slot.Transaction.EventTimeNs,
        MessageKind.Label => slot.Label.LabelTimeNs,
        MessageKind.Order => slot.Order.EventTimeNs,
        MessageKind.Control => slot.Control.EventTimeNs,
        _ => long.MinValue,
    };

    private static void WaitUntil(long dueTicks, CancellationToken cancel)
    {
        // Sleep while far from due (a paced replay must not burn a core the pipeline needs), spin the last stretch.
        long msTicks = Stopwatch.Frequency / 1000;
        long now;
        while ((now = Stopwatch.GetTimestamp()) < dueTicks && !cancel.IsCancellationRequested)
        {
            if (dueTicks - now > 2 * msTicks)
            {
                Thread.Sleep(1);
            }
            else
            {
                Thread.Yield();
            }
        }
    }
}
