using System.Runtime.CompilerServices;
using LowLatency.Engine.Events;

namespace LowLatency.Engine.Features;

/// <summary>
/// The fields a spec may name, per event type, and the one copy of an event into the store's
/// type-independent <see cref="FeatureEvent"/>. Names are resolved to indices once, at compile time.
/// </summary>
internal static class EventFields
{
    internal static readonly string[] TransactionKeys = ["card", "account", "merchant", "device", "ip", "mcc", "country"];
    internal static readonly string[] TransactionNumerics = ["amount"];
    internal static readonly string[] OrderKeys = ["account", "instrument", "venue"];
    internal static readonly string[] OrderNumerics = ["quantity", "price", "notional", "new", "cancel", "fill"];

    internal static string[] Keys(FeatureEventKind kind) => kind == FeatureEventKind.Transaction ? TransactionKeys : OrderKeys;

    internal static string[] Numerics(FeatureEventKind kind) => kind == FeatureEventKind.Transaction ? TransactionNumerics : OrderNumerics;

    internal static bool HasGeo(FeatureEventKind kind) => kind == FeatureEventKind.Transaction;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void From(in Transaction tx, ref FeatureEvent e)
    {
        e.TimeNs = tx.EventTimeNs;
        e.Keys[0] = tx.CardId;
        e.Keys[1] = tx.AccountId;
        e.Keys[2] = tx.MerchantId;
        e.Keys[3] = tx.DeviceId;
        e.Keys[4] = tx.Ipv4;
        e.Keys[5] = tx.Mcc;
        e.Keys[6] = tx.Country;
        e.Numerics[0] = tx.AmountMinor;
        // Out-of-range or NaN coordinates mean "unknown location"; the comparison is false for NaN.
        e.HasGeo = tx.Latitude is >= -90.0 and <= 90.0 && tx.Longitude is >= -180.0 and <= 180.0;
        e.Latitude = tx.Latitude;
        e.Longitude = tx.Longitude;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void From(in Order o, ref FeatureEvent e)
    {
        e.TimeNs = o.EventTimeNs;
        e.Keys[0] = o.AccountId;
        e.Keys[1] = o.InstrumentId;
        e.Keys[2] = o.Venue;
        double price = o.PriceE8 * 1e-8;
        e.Numerics[0] = o.Quantity;
        e.Numerics[1] = price;
        e.Numerics[2] = price * o.Quantity;
        // 0/1 indicators, so "sum cancel" over a window is the number of cancels in it (order-to-trade ratios, spoofing).
        e.Numerics[3] = o.Action == OrderAction.New ? 1 : 0;
        e.Numerics[4] = o.Action == OrderAction.Cancel ? 1 : 0;
        e.Numerics[5] = o.Action == OrderAction.Fill ? 1 : 0;
        e.HasGeo = false;
        e.Latitude = 0;
        e.Longitude = 0;
    }
}

/// <summary>An event reduced to what the plan reads: event time, u64 keys, numeric values, location.</summary>
internal struct FeatureEvent
{
    public long TimeNs;
    public KeyArray Keys;
    public NumericArray Numerics;
    public double Latitude;
    public double Longitude;
    public bool HasGeo;
}

/// <summary>Fixed inline storage for the key fields of any event type.</summary>
[InlineArray(8)]
internal struct KeyArray
{
    private ulong _element;
}

/// <summary>Fixed inline storage for the numeric fields of any event type.</summary>
[InlineArray(8)]
internal struct NumericArray
{
    private double _element;
}
