using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Load;

/// <summary>The payment simulator as a flow: transactions (with fraud ground truth) and their delayed labels.</summary>
public sealed class PaymentFlow(PaymentSimulator simulator) : IFlowSource
{
    private SimEvent _event;
    private long _lastNs = simulator.Options.StartTimeNs;

    /// <summary>The simulator behind the flow.</summary>
    public PaymentSimulator Simulator { get; } = simulator;

    /// <inheritdoc/>
    public FeatureEventKind Flow => FeatureEventKind.Transaction;

    /// <inheritdoc/>
    public TimeSpan SimulatedElapsed => TimeSpan.FromTicks((Volatile.Read(ref _lastNs) - Simulator.Options.StartTimeNs) / 100);

    /// <inheritdoc/>
    public void Next(ref PipelineSlot slot, out GroundTruth truth)
    {
        Simulator.Next(ref _event);
        if (_event.Kind == SimEventKind.Transaction)
        {
            slot.Kind = MessageKind.Transaction;
            slot.Transaction = _event.Transaction;
            truth = _event.Truth;
            Volatile.Write(ref _lastNs, _event.Transaction.EventTimeNs);
        }
        else
        {
            slot.Kind = MessageKind.Label;
            slot.Label = _event.Label;
            truth = default;
        }
    }
}
