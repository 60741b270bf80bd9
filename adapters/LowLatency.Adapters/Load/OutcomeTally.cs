using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Load;

/// <summary>
/// Decisions scored against the ground truth: written by the decision thread only (plain increments), read by a
/// monitor (a value a few events stale is fine on a dashboard).
/// </summary>
public sealed class OutcomeTally
{
    private readonly long[] _fraudByPattern = new long[8];
    private readonly long[] _caughtByPattern = new long[8];
    private long _decisions;
    private long _fraud;
    private long _fraudCaught;
    private long _genuineDeclined;
    private long _genuineReviewed;
    private long _others;

    /// <summary>Counts one decision.</summary>
    public void Add(Outcome outcome, GroundTruth truth)
    {
        _decisions++;
        if (truth.IsFraud)
        {
            _fraud++;
            _fraudByPattern[(int)truth.Pattern]++;
            if (outcome != Outcome.Approve)
            {
                _fraudCaught++;
                _caughtByPattern[(int)truth.Pattern]++;
            }
        }
        else if (outcome == Outcome.Decline)
        {
            _genuineDeclined++;
        }
        else if (outcome == Outcome.Review)
        {
            _genuineReviewed++;
        }
    }

    /// <summary>Counts a non-transaction message (label, order, reject).</summary>
    public void AddOther() => _others++;

    /// <summary>Decisions made.</summary>
    public long Decisions => Volatile.Read(ref _decisions);

    /// <summary>Fraudulent transactions decided.</summary>
    public long Fraud => Volatile.Read(ref _fraud);

    /// <summary>Fraud declined or sent to review.</summary>
    public long FraudCaught => Volatile.Read(ref _fraudCaught);

    /// <summary>Genuine transactions declined (false positives that hurt a customer).</summary>
    public long GenuineDeclined => Volatile.Read(ref _genuineDeclined);

    /// <summary>Genuine transactions sent to review (analyst workload).</summary>
    public long GenuineReviewed => Volatile.Read(ref _genuineReviewed);

    /// <summary>Labels and other messages seen.</summary>
    public long Others => Volatile.Read(ref _others);

    /// <summary>Fraudulent transactions of <paramref name="pattern"/>, and how many were caught.</summary>
    public (long Total, long Caught) ByPattern(FraudPattern pattern) =>
        (Volatile.Read(ref _fraudByPattern[(int)pattern]), Volatile.Read(ref _caughtByPattern[(int)pattern]));
}
