namespace LowLatency.Adapters.Simulation;

/// <summary>Which abusive scheme produced a simulated order event; <see cref="None"/> for ordinary flow.</summary>
public enum OrderPattern : byte
{
    /// <summary>Ordinary trading.</summary>
    None = 0,
    /// <summary>Layering / spoofing: large orders on one side away from the touch, a fill on the other side,
    /// then the large orders cancelled.</summary>
    Spoofing = 1,
}
