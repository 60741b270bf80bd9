namespace LowLatency.Engine.Pipeline;

/// <summary>
/// Where decisions go: a UDP publication, a file, a benchmark's latency recorder. Implement on a struct and
/// pass it as a type argument: the decide stage is compiled for it and calls it directly.
/// </summary>
public interface IDecisionSink
{
    /// <summary>
    /// Takes the decided slot (decision, reasons, and the transaction it answers). Returns false when the
    /// output pushed back; the stage retries (with the pipeline's idle strategy) rather than lose it.
    /// </summary>
    bool TryPublish(ref PipelineSlot slot);

    /// <summary>Sees every non-transaction message after processing (labels, orders, controls, rejects), for counting.</summary>
    void OnOther(ref PipelineSlot slot);

    /// <summary>End of a batch of available slots: flush anything buffered.</summary>
    void Flush();
}
