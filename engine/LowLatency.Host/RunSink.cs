using LowLatency.Adapters.Load;
using LowLatency.Adapters.Transport;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Host;

/// <summary>
/// The pipeline output of an <see cref="EngineRun"/>: the in-process monitoring sink, or the decision publication when the
/// run goes over UDP (latency and outcomes are then recorded where the decisions arrive, at the gateway). One predictable
/// branch per decision.
/// </summary>
internal readonly struct RunSink(MonitoringSink monitor, DecisionPublicationSink? wire) : IDecisionSink
{
    private readonly bool _overWire = wire.HasValue;
    private readonly DecisionPublicationSink _wire = wire.GetValueOrDefault();

    public bool TryPublish(ref PipelineSlot slot) => _overWire ? _wire.TryPublish(ref slot) : monitor.TryPublish(ref slot);

    public void OnOther(ref PipelineSlot slot) => monitor.OnOther(ref slot);

    public void Flush()
    {
        if (_overWire)
        {
            _wire.Flush();
        }
    }
}
