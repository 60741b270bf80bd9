namespace LowLatency.Engine.Features;

/// <summary>What <see cref="FeatureStore.Process(in Events.Transaction, System.Span{float})"/> did with an event.</summary>
public enum FeatureStatus : byte
{
    /// <summary>Features read, then state updated.</summary>
    Accepted = 0,
    /// <summary>Older than the watermark minus the allowed lateness: features read, state not updated (counted).</summary>
    Late = 1,
    /// <summary>Further ahead of the watermark than allowed: bad input, features zeroed, state untouched (counted).</summary>
    RejectedFuture = 2,
    /// <summary>Event time not positive: bad input, features zeroed, state untouched (counted).</summary>
    RejectedInvalidTime = 3,
}
