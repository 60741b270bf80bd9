using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Load;

/// <summary>
/// A seeded stream of one flow (payments or orders) as pipeline slots, with ground truth: what the load driver and the
/// history trainer read, so neither knows which simulator is behind it.
/// </summary>
public interface IFlowSource
{
    /// <summary>The flow, which is also the event type of the feature spec that fits it.</summary>
    FeatureEventKind Flow { get; }

    /// <summary>Simulated (event) time since the start of the stream, for dashboards.</summary>
    TimeSpan SimulatedElapsed { get; }

    /// <summary>
    /// Writes the next event into <paramref name="slot"/> (<see cref="PipelineSlot.Kind"/> and its payload) and its
    /// ground truth (<c>default</c> for messages that are not decided, such as labels). Allocation-free.
    /// </summary>
    void Next(ref PipelineSlot slot, out GroundTruth truth);
}
