namespace LowLatency.Adapters.Transport;

/// <summary>What the decision sink did; plain fields written by the decide thread, read by monitors (slightly stale is fine).</summary>
public sealed class DecisionSinkCounters
{
    /// <summary>Decisions handed to the publication.</summary>
    public long Published;

    /// <summary>Offers refused by back-pressure (each retried).</summary>
    public long BackPressured;

    /// <summary>Offers refused while waiting for a gateway to subscribe (each retried; see <see cref="EngineTransportOptions.SubscriberWait"/>).</summary>
    public long AwaitingSubscriber;

    /// <summary>Decisions dropped because no gateway was subscribed (after the subscriber wait).</summary>
    public long NotConnected;

    /// <summary>Decisions dropped for another offer result (publication closed).</summary>
    public long Failed;

    /// <summary>Non-transaction messages seen (labels, orders, rejects).</summary>
    public long Others;
}
