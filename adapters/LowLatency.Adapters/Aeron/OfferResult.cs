namespace LowLatency.Adapters.Aeron;

/// <summary>
/// What <see cref="AeronPublication.Offer"/> did with a message. Only <see cref="Ok"/> means the message is in the log and
/// will be delivered (retransmitted if lost); every other value means it was not taken and the caller decides: retry
/// (back-pressure), wait for a subscriber, or count and drop. Nothing is lost silently.
/// </summary>
public enum OfferResult
{
    /// <summary>Appended to the log.</summary>
    Ok,

    /// <summary>The log is a publication window ahead of the receiver's consumption: retry after the sender catches up.</summary>
    BackPressured,

    /// <summary>No receiver has sent a status message within the connection timeout (or none ever did).</summary>
    NotConnected,

    /// <summary>Longer than min(term length / 8, 16 MiB) (PROTOCOL.md §6.5): never accepted.</summary>
    MaxMessageLengthExceeded,

    /// <summary>The publication was closed.</summary>
    Closed,

    /// <summary>The stream reached the largest position its term ids can express.</summary>
    MaxPositionExceeded,
}
