using System.Diagnostics;
using LowLatency.Adapters.Transport;
using LowLatency.Engine.Metrics;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Host;

/// <summary>
/// The output of <c>lowlat serve</c>: decisions go to the decision publication, and the engine's own latency (from the
/// datagram's arrival in the ring to the decision handed to the publication) goes into a single-writer recorder the stats
/// line reads. The decide stage is the recorder's only writer in either topology.
/// </summary>
internal readonly struct ServeSink(DecisionPublicationSink wire, IntervalRecorder latency) : IDecisionSink
{
    private static readonly double NsPerTick = 1e9 / Stopwatch.Frequency;

    public bool TryPublish(ref PipelineSlot slot)
    {
        if (!wire.TryPublish(ref slot))
        {
            return false;
        }

        latency.Record(Math.Max(1, (long)((Stopwatch.GetTimestamp() - slot.IngestTicks) * NsPerTick)));
        return true;
    }

    public void OnOther(ref PipelineSlot slot) => wire.OnOther(ref slot);

    public void Flush() => wire.Flush();
}
