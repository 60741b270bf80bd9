using System.Runtime.CompilerServices;
using LowLatency.Engine.Events;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// The hashed categorical keys of an event: high-cardinality identities a linear model learns one weight each for
/// (a compromised merchant, a risky MCC or country) without a dense column per value. A tag in the top byte keeps,
/// say, merchant 840 and country 840 apart before the model hashes them into its table. The same keys are logged
/// for learning, so training and serving never disagree.
/// </summary>
public static class SparseKeys
{
    /// <summary>What each transaction key is, in slot order (reason codes name key k as the dense count plus k).</summary>
    public static readonly string[] TransactionNames = ["merchant", "mcc", "country", "channel_entry_mode"];

    /// <summary>What each order key is, in slot order.</summary>
    public static readonly string[] OrderNames = ["instrument", "venue", "side_action"];

    /// <summary>Writes the keys of <paramref name="tx"/>; returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(in Transaction tx, Span<ulong> keys)
    {
        keys[3] = (4UL << 56) ^ ((ulong)tx.Channel << 8) ^ (ulong)tx.EntryMode;
        keys[0] = (1UL << 56) ^ tx.MerchantId;
        keys[1] = (2UL << 56) ^ tx.Mcc;
        keys[2] = (3UL << 56) ^ tx.Country;
        return 4;
    }

    /// <summary>Writes the keys of <paramref name="order"/>; returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(in Order order, Span<ulong> keys)
    {
        keys[2] = (7UL << 56) ^ ((ulong)order.Side << 8) ^ (ulong)order.Action;
        keys[0] = (5UL << 56) ^ order.InstrumentId;
        keys[1] = (6UL << 56) ^ order.Venue;
        return 3;
    }

    /// <summary>The key names for a flow scoring <paramref name="kind"/>.</summary>
    public static IReadOnlyList<string> NamesFor(Features.FeatureEventKind kind) =>
        kind == Features.FeatureEventKind.Order ? OrderNames : TransactionNames;
}
