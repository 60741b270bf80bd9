using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Files;

/// <summary>The decision sink of <c>lowlat features export</c>: spools every decided transaction's features and collects labels.</summary>
public readonly struct TrainingSetSink(TrainingSetWriter writer) : IDecisionSink
{
    /// <inheritdoc/>
    public bool TryPublish(ref PipelineSlot slot)
    {
        writer.Add(ref slot);
        return true;
    }

    /// <inheritdoc/>
    public void OnOther(ref PipelineSlot slot)
    {
        if (slot.Kind == MessageKind.Label && !slot.Rejected)
        {
            writer.AddLabel(slot.Label);
        }
    }

    /// <inheritdoc/>
    public void Flush()
    {
    }
}
