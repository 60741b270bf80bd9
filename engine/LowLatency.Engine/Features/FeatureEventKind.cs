namespace LowLatency.Engine.Features;

/// <summary>Which message type a feature spec applies to.</summary>
public enum FeatureEventKind : byte
{
    /// <summary><see cref="Events.Transaction"/>: keys card, account, merchant, device, ip, mcc, country; numeric amount (minor units); geolocated.</summary>
    Transaction = 0,
    /// <summary><see cref="Events.Order"/>: keys account, instrument, venue; numerics quantity, price, notional.</summary>
    Order = 1,
}
