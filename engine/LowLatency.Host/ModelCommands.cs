using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Host;

/// <summary>
/// What <c>lowlat serve</c> does with the model commands of the control stream. Called on the pipeline's features thread
/// at the command's place in the input (in the single-thread topology everything before it was scored by the old model and
/// a swap made here applies from the next event; see <c>ScoringPipeline.ModelCommandRequested</c> for the pipelined one),
/// so it must be quick; an exception is caught and logged as a command not applied. The pipeline itself applies the command
/// right after (promote: a version in its model registry; rollback: the previous champion); a model version store connects
/// here by adding versions to <c>ScoringPipeline.Models</c> before they are promoted, and the handler says what happens.
/// </summary>
internal interface IModelCommandHandler
{
    /// <summary>Make model version <c>command.ModelVersion</c> the champion (the transport refused version 0 already).</summary>
    ModelCommandResult Promote(in ControlMessage command, long sequence);

    /// <summary>Return to the previous champion.</summary>
    ModelCommandResult Rollback(in ControlMessage command, long sequence);
}

/// <summary>The outcome of a model command.</summary>
/// <param name="Applied">Whether the champion changed.</param>
/// <param name="Detail">What happened, for the log.</param>
internal readonly record struct ModelCommandResult(bool Applied, string Detail);

/// <summary>
/// What serve reports for promote and rollback. The pipeline applies both itself at the command's place in the input
/// (promote: the version from its model registry; rollback: the champion before the last swap); this handler says which
/// will happen, for the log and the counters.
/// </summary>
internal sealed class PipelineModelCommands(ScoringPipeline<ServeSink> pipeline) : IModelCommandHandler
{
    public ModelCommandResult Promote(in ControlMessage command, long sequence) =>
        pipeline.Models.Find(command.ModelVersion) is not null
            ? new(true, $"v{command.ModelVersion} from the model registry")
            : new(false, $"no model v{command.ModelVersion} in the model registry (serve registers only the model it started with); the champion is unchanged");

    public ModelCommandResult Rollback(in ControlMessage command, long sequence) =>
        pipeline.PreviousModel is { } previous
            ? new(true, $"back to v{previous.Version}")
            : new(false, "no previous champion to return to; the champion is unchanged");
}
