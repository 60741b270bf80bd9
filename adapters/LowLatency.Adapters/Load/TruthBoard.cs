using LowLatency.Adapters.Simulation;

namespace LowLatency.Adapters.Load;

/// <summary>
/// Ground truth of recent transactions by txId, for scoring the engine's decisions live (fraud caught, false
/// positives) without the engine ever seeing it. A power-of-two array indexed by txId: the producer writes an
/// entry before publishing the slot (the publish is the release that makes it visible), the decision side
/// reads it. Entries are overwritten after <see cref="Capacity"/> newer transactions.
/// </summary>
public sealed class TruthBoard(int capacity = 1 << 22)
{
    private readonly byte[] _entries = new byte[capacity];
    private readonly ulong _mask = (ulong)capacity - 1;

    /// <summary>Entries kept.</summary>
    public int Capacity => _entries.Length;

    /// <summary>Records the truth of <paramref name="txId"/> (pattern + 1 for fraud, 0 for genuine).</summary>
    public void Set(ulong txId, GroundTruth truth) => _entries[txId & _mask] = truth.IsFraud ? (byte)((byte)truth.Pattern + 1) : (byte)0;

    /// <summary>Whether <paramref name="txId"/> was fraud, and which pattern.</summary>
    public GroundTruth Get(ulong txId)
    {
        byte v = _entries[txId & _mask];
        return v == 0 ? default : new GroundTruth(true, (FraudPattern)(v - 1));
    }
}
