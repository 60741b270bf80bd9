using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Files;

/// <summary>What a replay fed into the pipeline.</summary>
/// <param name="Messages">Inbound messages published into the ring (decode rejects included, counted below).</param>
/// <param name="DecodeRejects">Messages the SBE decoder refused (published as empty slots, which the pipeline counts as rejects).</param>
/// <param name="ModelSwaps">Model-swap records seen in the source, each fed to the pipeline as a swap event at its place (the pipeline's <see cref="PipelineStats.SwapsRefused"/> counts those naming a model it does not have).</param>
/// <param name="SkippedRecords">Journal records that are not inbound messages and not model swaps (snapshot markers).</param>
/// <param name="Elapsed">Wall time of the feed (<see cref="ReplayDriver.Run"/>), or of the feed and the pipeline's drain, up to the last decision (<see cref="ReplayDriver.RunAndDrain"/>).</param>
public sealed record ReplayResult(long Messages, long DecodeRejects, long ModelSwaps, long SkippedRecords, TimeSpan Elapsed)
{
    /// <summary>Messages per second of wall time.</summary>
    public double MessagesPerSecond => Elapsed.TotalSeconds > 0 ? Messages / Elapsed.TotalSeconds : 0;
}
