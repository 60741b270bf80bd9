namespace LowLatency.Models.Lifecycle;

/// <summary>One lifecycle transition, with the evidence for it.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="LabelIndex">Labels processed when it happened.</param>
/// <param name="EventTimeNs">Event time of the label that triggered it.</param>
/// <param name="FromVersion">Champion version before.</param>
/// <param name="ToVersion">Champion version after.</param>
/// <param name="Reason">Human-readable reason with the figures that decided it.</param>
public sealed record ModelEvent(ModelEventKind Kind, long LabelIndex, long EventTimeNs, uint FromVersion, uint ToVersion, string Reason);
