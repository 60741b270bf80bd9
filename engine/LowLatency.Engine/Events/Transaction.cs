using System.Runtime.InteropServices;

namespace LowLatency.Engine.Events;

/// <summary>
/// A payment authorisation as the engine holds it in a ring slot: plain unmanaged fields, no references,
/// so slots can live in pinned or native memory. Mirrors the SBE <c>Transaction</c> message field for field.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct Transaction
{
    /// <summary>Gateway-assigned id, unique per transaction; labels and decisions refer to it.</summary>
    public ulong TxId;
    /// <summary>Event time in nanoseconds since the Unix epoch (the only clock features and models see).</summary>
    public long EventTimeNs;
    /// <summary>Card (PAN token) id.</summary>
    public ulong CardId;
    /// <summary>Account id (one account may hold several cards).</summary>
    public ulong AccountId;
    /// <summary>Merchant id.</summary>
    public ulong MerchantId;
    /// <summary>Device fingerprint id; 0 when unknown.</summary>
    public ulong DeviceId;
    /// <summary>Amount in minor units of <see cref="Currency"/>.</summary>
    public long AmountMinor;
    /// <summary>Client IPv4 address in network order packed into a u32; 0 when unknown.</summary>
    public uint Ipv4;
    /// <summary>ISO 4217 numeric currency code.</summary>
    public ushort Currency;
    /// <summary>Merchant category code (ISO 18245).</summary>
    public ushort Mcc;
    /// <summary>ISO 3166-1 numeric country of the merchant / acquirer.</summary>
    public ushort Country;
    /// <summary>Channel.</summary>
    public Channel Channel;
    /// <summary>Entry mode.</summary>
    public EntryMode EntryMode;
    /// <summary>Flags.</summary>
    public TransactionFlags Flags;
    /// <summary>Latitude in degrees of the point of interaction; NaN when unknown.</summary>
    public double Latitude;
    /// <summary>Longitude in degrees; NaN when unknown.</summary>
    public double Longitude;
}

/// <summary>A delayed ground-truth label for an earlier transaction.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct Label
{
    /// <summary>The transaction this label is about.</summary>
    public ulong TxId;
    /// <summary>When the label became known (ns since epoch).</summary>
    public long LabelTimeNs;
    /// <summary>Fraud or genuine.</summary>
    public LabelClass Class;
    /// <summary>Where the label came from.</summary>
    public LabelSource Source;
}

/// <summary>An order event for trading flows.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct Order
{
    /// <summary>Order id.</summary>
    public ulong OrderId;
    /// <summary>Event time, ns since epoch.</summary>
    public long EventTimeNs;
    /// <summary>Trading account.</summary>
    public ulong AccountId;
    /// <summary>Instrument id.</summary>
    public ulong InstrumentId;
    /// <summary>Limit price in units of 1e-8 of the quote currency.</summary>
    public long PriceE8;
    /// <summary>Quantity in lots.</summary>
    public long Quantity;
    /// <summary>Venue (MIC index).</summary>
    public ushort Venue;
    /// <summary>Side.</summary>
    public Side Side;
    /// <summary>New, cancel, replace or fill.</summary>
    public OrderAction Action;
}

/// <summary>The decision for one transaction.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct Decision
{
    /// <summary>Transaction id.</summary>
    public ulong TxId;
    /// <summary>When the inbound message was received (ns, engine clock).</summary>
    public long IngestTimeNs;
    /// <summary>When the decision was made (ns, engine clock).</summary>
    public long DecideTimeNs;
    /// <summary>Fraud probability in [0, 1].</summary>
    public float Score;
    /// <summary>Model version that produced the score.</summary>
    public uint ModelVersion;
    /// <summary>Approve, review or decline.</summary>
    public Outcome Outcome;
}

/// <summary>A control command (model promote/rollback, snapshot), sequenced with the data it affects.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ControlMessage
{
    /// <summary>Caller's id for the request, echoed in logs.</summary>
    public ulong RequestId;
    /// <summary>Event time of the command, ns since epoch.</summary>
    public long EventTimeNs;
    /// <summary>Model version the command refers to (promote), 0 otherwise.</summary>
    public uint ModelVersion;
    /// <summary>What to do.</summary>
    public ControlCommand Command;
}
