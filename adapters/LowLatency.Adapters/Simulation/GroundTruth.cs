using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Simulation;

/// <summary>Which scheme produced a fraudulent transaction.</summary>
public enum FraudPattern : byte
{
    /// <summary>Genuine.</summary>
    None = 0,
    /// <summary>Many small online payments on one card across many merchants within minutes.</summary>
    CardTesting = 1,
    /// <summary>New device and IP, a foreign online merchant, high amounts.</summary>
    AccountTakeover = 2,
    /// <summary>A card-present payment too far from the previous one for the time between them.</summary>
    ImpossibleTravel = 3,
    /// <summary>Abuse of a card whose details leaked at a compromised merchant it visited earlier.</summary>
    CompromisedMerchant = 4,
    /// <summary>The pattern that appears only after the drift point: in-app crypto purchases from the card's own device, escalating.</summary>
    AppCryptoEscalation = 5,
    /// <summary>Orders flow: a message of a spoofing episode (large layers behind the touch, a fill on the other side, the layers cancelled).</summary>
    Spoofing = 6,
}

/// <summary>What really happened, known to the simulator and never sent to the engine.</summary>
/// <param name="IsFraud">Whether the transaction is fraudulent.</param>
/// <param name="Pattern">The scheme, when fraudulent.</param>
public readonly record struct GroundTruth(bool IsFraud, FraudPattern Pattern);

/// <summary>What <see cref="PaymentSimulator.Next"/> produced.</summary>
public enum SimEventKind : byte
{
    /// <summary>A transaction (see <see cref="SimEvent.Transaction"/> and <see cref="SimEvent.Truth"/>).</summary>
    Transaction = 1,
    /// <summary>A delayed label (see <see cref="SimEvent.Label"/>).</summary>
    Label = 2,
}

/// <summary>One simulated event. Filled in place by the simulator; no allocation.</summary>
public struct SimEvent
{
    /// <summary>Transaction or label.</summary>
    public SimEventKind Kind;
    /// <summary>The transaction, when <see cref="Kind"/> is Transaction.</summary>
    public Transaction Transaction;
    /// <summary>Its ground truth.</summary>
    public GroundTruth Truth;
    /// <summary>The label, when <see cref="Kind"/> is Label.</summary>
    public Label Label;

    /// <summary>Event time of whichever message this is.</summary>
    public readonly long EventTimeNs => Kind == SimEventKind.Label ? Label.LabelTimeNs : Transaction.EventTimeNs;
}
