namespace LowLatency.Adapters.Simulation;

/// <summary>The part an event plays in an abusive episode.</summary>
public enum OrderLeg : byte
{
    /// <summary>Not part of an episode.</summary>
    None = 0,
    /// <summary>A layering order (its New and its Cancel): never meant to trade.</summary>
    Layer = 1,
    /// <summary>The order on the other side that the layering is meant to get filled (its New and its Fill).</summary>
    Execution = 2,
}
