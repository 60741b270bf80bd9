using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Load;

/// <summary>
/// The order simulator as a flow: every order message (new, cancel, replace, fill) is decided; the messages of a
/// spoofing episode (its layers and its execution) carry <see cref="FraudPattern.Spoofing"/> as ground truth.
/// </summary>
public sealed class OrderFlow(OrderSimulator simulator) : IFlowSource
{
    private long _lastNs = simulator.StartNs;

    /// <summary>The simulator behind the flow.</summary>
    public OrderSimulator Simulator { get; } = simulator;

    /// <inheritdoc/>
    public FeatureEventKind Flow => FeatureEventKind.Order;

    /// <inheritdoc/>
    public TimeSpan SimulatedElapsed => TimeSpan.FromTicks((Volatile.Read(ref _lastNs) - Simulator.StartNs) / 100);

    /// <inheritdoc/>
    public void Next(ref PipelineSlot slot, out GroundTruth truth)
    {
        slot.Kind = MessageKind.Order;
        Simulator.Next(ref slot.Order, out OrderGroundTruth orderTruth);
        bool abusive = orderTruth.Pattern == OrderPattern.Spoofing;
        truth = new GroundTruth(abusive, abusive ? FraudPattern.Spoofing : FraudPattern.None);
        Volatile.Write(ref _lastNs, slot.Order.EventTimeNs);
    }
}
