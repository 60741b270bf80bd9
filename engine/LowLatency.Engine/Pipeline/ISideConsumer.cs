using LowLatency.Engine.Ring;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// A consumer that sees every inbound slot beside the processing stages (the journal). The pipeline adds it to
/// the ring first; when <see cref="GatesDecisions"/> is true, the decide stage waits for it, so no decision leaves
/// before the consumer finished with the slot (fsync before publish); otherwise it runs in parallel and only the
/// producers wait for it (ring capacity).
/// </summary>
public interface ISideConsumer
{
    /// <summary>Whether decisions wait for this consumer.</summary>
    bool GatesDecisions { get; }

    /// <summary>Adds the consumer's handler to <paramref name="ring"/> with the pipeline's wait strategy; returns its progress sequence.</summary>
    Sequence AddTo<TWait>(RingPipeline<PipelineSlot> ring, TWait wait)
        where TWait : struct, IWaitStrategy;
}
