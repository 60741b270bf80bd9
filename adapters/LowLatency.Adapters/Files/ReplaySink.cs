using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Files;

/// <summary>The replay's decision output: a decision log and/or a report recorder (either may be null).</summary>
public readonly struct ReplaySink(DecisionLog? log, ReplayRecorder? recorder) : IDecisionSink
{
    /// <inheritdoc/>
    public bool TryPublish(ref PipelineSlot slot)
    {
        log?.Write(ref slot);
        recorder?.OnDecision(ref slot);
        return true;
    }

    /// <inheritdoc/>
    public void OnOther(ref PipelineSlot slot) => recorder?.OnOther(ref slot);

    /// <inheritdoc/>
    public void Flush()
    {
    }
}
