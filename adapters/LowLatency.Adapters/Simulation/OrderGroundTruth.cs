namespace LowLatency.Adapters.Simulation;

/// <summary>Truth about one simulated order event, handed to the caller beside it (never on the wire).</summary>
/// <param name="Pattern">The abusive scheme, or <see cref="OrderPattern.None"/>.</param>
/// <param name="EpisodeId">Identifies one episode; 0 for ordinary flow.</param>
/// <param name="Leg">The event's part in the episode.</param>
public readonly record struct OrderGroundTruth(OrderPattern Pattern, uint EpisodeId, OrderLeg Leg)
{
    /// <summary>True for any event of an abusive episode.</summary>
    public bool IsAbusive => Pattern != OrderPattern.None;
}
