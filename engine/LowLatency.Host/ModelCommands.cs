using LowLatency.Engine.Events;

namespace LowLatency.Host;

/// <summary>
/// What <c>lowlat serve</c> does with the model commands of the control stream. Called on the pipeline's features thread
/// at the command's place in the input (in the single-thread topology everything before it was scored by the old model and
/// a swap made here applies from the next event; see <c>ScoringPipeline.ModelCommandRequested</c> for the pipelined one),
/// so it must be quick; an exception is caught and logged as a command not applied. This is the seam where a model version store connects: an
/// implementation looks the version up, swaps <c>ScoringPipeline.Model</c>, and says what it did.
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
/// The handler serve uses until a model version store is wired in: the command was validated, counted and logged, and the
/// champion stays as it is.
/// </summary>
internal sealed class UnwiredModelCommands : IModelCommandHandler
{
    private const string Why = "no model version store is connected to serve yet; the champion is unchanged";

    public ModelCommandResult Promote(in ControlMessage command, long sequence) => new(false, Why);

    public ModelCommandResult Rollback(in ControlMessage command, long sequence) => new(false, Why);
}
