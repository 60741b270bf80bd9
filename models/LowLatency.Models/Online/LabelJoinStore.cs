using System.Runtime.CompilerServices;

namespace LowLatency.Models.Online;

/// <summary>
/// Holds the feature vector, sparse keys and score logged at decision time until the transaction's label
/// arrives (minutes for customer reports, weeks for chargebacks), so the learner trains on exactly what the
/// scorer saw. Bounded and preallocated: decisions sit in a FIFO ring keyed by txId (open addressing,
/// <see cref="FifoIdIndex"/>); when full, or when older than the retention in event time, the oldest leave.
/// The ids of the last <see cref="LabelJoinOptions.Capacity"/> evicted decisions are remembered, so a late
/// label is counted as "evicted" rather than "unknown". A joined decision stays (marked) so that a second
/// label is recognised as a duplicate. Nothing here allocates after construction. Single-threaded: owned by
/// the learner thread.
/// </summary>
public sealed class LabelJoinStore
{
    private readonly LabelJoinOptions _options;
    private readonly FifoIdIndex _held;
    private readonly FifoIdIndex _evicted;
    private readonly long _retentionNs;
    private readonly int _dense;
    private readonly int _maxKeys;
    private readonly long[] _time;
    private readonly float[] _score;
    private readonly int[] _keyCount;
    private readonly bool[] _joined;
    private readonly float[] _features;
    private readonly ulong[] _keys;
    private long _clockNs = long.MinValue;

    /// <summary>Allocates the store for <paramref name="options"/> (validated).</summary>
    public LabelJoinStore(LabelJoinOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        int c = options.Capacity;
        _held = new FifoIdIndex(c);
        _evicted = new FifoIdIndex(c);
        _retentionNs = options.Retention.Ticks * 100;
        _dense = options.DenseCount;
        _maxKeys = options.MaxSparseKeys;
        _time = CommittedArray.Allocate<long>(c);
        _score = CommittedArray.Allocate<float>(c);
        _keyCount = CommittedArray.Allocate<int>(c);
        _joined = CommittedArray.Allocate<bool>(c);
        _features = CommittedArray.Allocate<float>(c * _dense);
        _keys = CommittedArray.Allocate<ulong>(c * _maxKeys);
    }

    /// <summary>The sizing in force.</summary>
    public LabelJoinOptions Options => _options;

    /// <summary>Decisions currently held.</summary>
    public int Count => _held.Count;

    /// <summary>Decisions logged.</summary>
    public long Stored { get; private set; }

    /// <summary>Decisions refused because the txId was already held.</summary>
    public long DuplicateDecisions { get; private set; }

    /// <summary>Decisions refused for their shape.</summary>
    public long BadShapeDecisions { get; private set; }

    /// <summary>Decisions evicted to make room.</summary>
    public long EvictedForCapacity { get; private set; }

    /// <summary>Decisions evicted because they outlived the retention.</summary>
    public long ExpiredByRetention { get; private set; }

    /// <summary>Labels joined.</summary>
    public long Joined { get; private set; }

    /// <summary>Labels for txIds never held.</summary>
    public long UnknownLabels { get; private set; }

    /// <summary>Labels for decisions already evicted.</summary>
    public long EvictedLabels { get; private set; }

    /// <summary>Second (or later) labels for one txId.</summary>
    public long DuplicateLabels { get; private set; }

    /// <summary>Labels timed before their decision.</summary>
    public long EarlyLabels { get; private set; }

    /// <summary>Logs a decision. Retention is applied first with <paramref name="decisionTimeNs"/> as the clock.</summary>
    public RecordStatus Record(ulong txId, long decisionTimeNs, float score, ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys)
    {
        if (dense.Length != _dense || keys.Length > _maxKeys)
        {
            BadShapeDecisions++;
            return RecordStatus.BadShape;
        }

        Advance(decisionTimeNs);
        if (_held.Find(txId) >= 0)
        {
            DuplicateDecisions++;
            return RecordStatus.DuplicateTx;
        }

        if (_held.IsFull)
        {
            EvictOldest();
            EvictedForCapacity++;
        }

        int pos = _held.Add(txId);
        _time[pos] = decisionTimeNs;
        _score[pos] = score;
        _joined[pos] = false;
        _keyCount[pos] = keys.Length;
        dense.CopyTo(_features.AsSpan(pos * _dense, _dense));
        keys.CopyTo(_keys.AsSpan(pos * _maxKeys, _maxKeys));
        Stored++;
        return RecordStatus.Stored;
    }

    /// <summary>
    /// Joins a label with its decision. Only <see cref="JoinStatus.Joined"/> fills <paramref name="example"/>;
    /// every other outcome is counted and must not be learned.
    /// </summary>
    public JoinStatus TryJoin(ulong txId, long labelTimeNs, out JoinedExample example)
    {
        Advance(labelTimeNs);
        int pos = _held.Find(txId);
        if (pos < 0)
        {
            example = default;
            if (_evicted.Find(txId) >= 0)
            {
                EvictedLabels++;
                return JoinStatus.EvictedTx;
            }

            UnknownLabels++;
            return JoinStatus.UnknownTx;
        }

        example = default;
        if (_joined[pos])
        {
            DuplicateLabels++;
            return JoinStatus.DuplicateLabel;
        }

        if (labelTimeNs < _time[pos])
        {
            EarlyLabels++;
            return JoinStatus.LabelBeforeDecision;
        }

        _joined[pos] = true;
        Joined++;
        example = new JoinedExample(txId, _time[pos], _score[pos], _features.AsSpan(pos * _dense, _dense), _keys.AsSpan(pos * _maxKeys, _keyCount[pos]));
        return JoinStatus.Joined;
    }

    /// <summary>Whether a decision for <paramref name="txId"/> is held (label sanity: "labels for transactions not yet seen").</summary>
    public bool Holds(ulong txId) => _held.Find(txId) >= 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Advance(long nowNs)
    {
        // The clock only moves forward, so a late or out-of-order message never resurrects retention.
        if (nowNs > _clockNs)
        {
            _clockNs = nowNs;
        }

        long cutoff = _clockNs - _retentionNs;
        while (_held.Count > 0 && _time[_held.OldestPosition] < cutoff)
        {
            EvictOldest();
            ExpiredByRetention++;
        }
    }

    private void EvictOldest()
    {
        ulong id = _held.RemoveOldest();
        if (_evicted.Find(id) < 0)
        {
            if (_evicted.IsFull)
            {
                _evicted.RemoveOldest();
            }

            _evicted.Add(id);
        }
    }
}
