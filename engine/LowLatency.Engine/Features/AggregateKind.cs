namespace LowLatency.Engine.Features;

/// <summary>What one feature computes. Values are the opcodes of the compiled plan; never renumber.</summary>
public enum AggregateKind : byte
{
    /// <summary>Number of events in the window.</summary>
    Count = 0,
    /// <summary>Sum of a numeric field over the window.</summary>
    Sum = 1,
    /// <summary>Mean of a numeric field (0 when the window is empty).</summary>
    Mean = 2,
    /// <summary>Population standard deviation of a numeric field (0 with fewer than 2 events).</summary>
    Std = 3,
    /// <summary>Minimum of a numeric field (0 when empty).</summary>
    Min = 4,
    /// <summary>Maximum of a numeric field (0 when empty).</summary>
    Max = 5,
    /// <summary>This event's value as a z-score against the window before it (0 when std is 0 or count &lt; 2).</summary>
    ZScore = 6,
    /// <summary>Distinct count of another key field in the window (exact up to <c>maxTracked</c>, then saturates).</summary>
    Distinct = 7,
    /// <summary>Seconds since the entity's latest event (-1 when none). Entity-level, not windowed.</summary>
    TimeSinceLast = 8,
    /// <summary>km/h between this event's location and the entity's latest geolocated event (0 when unknown). Entity-level.</summary>
    VelocityKmh = 9,
}
