namespace LowLatency.Engine.Events;

/// <summary>How the card was used. Wire values are fixed by the SBE schema (u8); never renumber.</summary>
public enum Channel : byte
{
    /// <summary>Card present at a point-of-sale terminal.</summary>
    Pos = 0,
    /// <summary>Online merchant, card not present.</summary>
    Ecommerce = 1,
    /// <summary>Cash withdrawal.</summary>
    Atm = 2,
    /// <summary>Mail or telephone order.</summary>
    Moto = 3,
    /// <summary>Payment from a mobile app or wallet.</summary>
    InApp = 4,
}

/// <summary>How the card data was captured. Wire values are fixed by the SBE schema (u8).</summary>
public enum EntryMode : byte
{
    /// <summary>EMV chip read.</summary>
    Chip = 0,
    /// <summary>Contactless tap.</summary>
    Contactless = 1,
    /// <summary>Magnetic stripe swipe.</summary>
    Magstripe = 2,
    /// <summary>Card number keyed in.</summary>
    Manual = 3,
    /// <summary>Stored credential (card on file).</summary>
    CardOnFile = 4,
}

/// <summary>Transaction flags, a bit set on the wire (u8).</summary>
[Flags]
public enum TransactionFlags : byte
{
    /// <summary>No flag set.</summary>
    None = 0,
    /// <summary>The card was physically present.</summary>
    CardPresent = 1,
    /// <summary>A recurring (subscription) payment.</summary>
    Recurring = 2,
    /// <summary>Authenticated with 3-D Secure.</summary>
    ThreeDSecure = 4,
}

/// <summary>The engine's answer to a transaction (u8 on the wire).</summary>
public enum Outcome : byte
{
    /// <summary>Let the payment through.</summary>
    Approve = 0,
    /// <summary>Let it through but queue it for an analyst.</summary>
    Review = 1,
    /// <summary>Refuse the payment.</summary>
    Decline = 2,
}

/// <summary>Ground truth for a transaction, arriving later than the transaction (u8).</summary>
public enum LabelClass : byte
{
    /// <summary>Confirmed genuine.</summary>
    Genuine = 0,
    /// <summary>Confirmed fraud.</summary>
    Fraud = 1,
}

/// <summary>Where a label came from (u8). Chargebacks arrive weeks later; reports within minutes or hours.</summary>
public enum LabelSource : byte
{
    /// <summary>The cardholder reported the payment.</summary>
    CustomerReport = 0,
    /// <summary>The issuer charged the payment back.</summary>
    Chargeback = 1,
    /// <summary>An analyst reviewed the case.</summary>
    Investigation = 2,
}

/// <summary>Side of an order (u8).</summary>
public enum Side : byte
{
    /// <summary>Buy.</summary>
    Buy = 0,
    /// <summary>Sell.</summary>
    Sell = 1,
}

/// <summary>What an order message does to the book (u8).</summary>
public enum OrderAction : byte
{
    /// <summary>A new order.</summary>
    New = 0,
    /// <summary>Cancel of a resting order.</summary>
    Cancel = 1,
    /// <summary>Price or quantity amendment.</summary>
    Replace = 2,
    /// <summary>An execution against the order.</summary>
    Fill = 3,
}

/// <summary>Control commands (u8).</summary>
public enum ControlCommand : byte
{
    /// <summary>Make the given model version the champion.</summary>
    PromoteModel = 0,
    /// <summary>Return to the previous champion.</summary>
    RollbackModel = 1,
    /// <summary>Write a snapshot of features and models.</summary>
    Snapshot = 2,
    /// <summary>
    /// Hold the champion: the learner promotes and rolls back nothing automatically until <see cref="ReleaseModel"/>
    /// (it keeps learning and judging; promote and rollback commands still apply). Model version ignored.
    /// </summary>
    HoldModel = 3,
    /// <summary>End a hold: automatic promotions and rollbacks resume. Model version ignored.</summary>
    ReleaseModel = 4,
}
