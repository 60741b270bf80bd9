namespace LowLatency.Models.Online;

/// <summary>A label joined with what the engine saw at decision time. Views into the store: valid until its next call.</summary>
public readonly ref struct JoinedExample
{
    /// <summary>Creates the view.</summary>
    public JoinedExample(ulong txId, long decisionTimeNs, float score, ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys)
    {
        TxId = txId;
        DecisionTimeNs = decisionTimeNs;
        Score = score;
        Dense = dense;
        Keys = keys;
    }

    /// <summary>Transaction id.</summary>
    public ulong TxId { get; }

    /// <summary>Event time of the decision.</summary>
    public long DecisionTimeNs { get; }

    /// <summary>The score the serving model gave at decision time.</summary>
    public float Score { get; }

    /// <summary>Dense features as logged.</summary>
    public ReadOnlySpan<float> Dense { get; }

    /// <summary>Sparse keys as logged.</summary>
    public ReadOnlySpan<ulong> Keys { get; }
}
