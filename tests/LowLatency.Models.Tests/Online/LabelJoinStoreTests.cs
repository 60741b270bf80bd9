using LowLatency.Models.Online;

namespace LowLatency.Models.Tests.Online;

public sealed class LabelJoinStoreTests
{
    /// <summary>The same policy written the obvious way: a list in arrival order, linear searches, no hashing.</summary>
    private sealed class NaiveJoin(int capacity, long retentionNs)
    {
        private readonly List<(ulong Id, long Time, float Score, float[] Dense, ulong[] Keys, bool Joined)> _held = [];
        private readonly List<ulong> _evicted = [];
        private long _clock = long.MinValue;

        private void Evict()
        {
            ulong id = _held[0].Id;
            _held.RemoveAt(0);
            if (!_evicted.Contains(id))
            {
                if (_evicted.Count == capacity)
                {
                    _evicted.RemoveAt(0);
                }

                _evicted.Add(id);
            }
        }

        private void Advance(long now)
        {
            _clock = Math.Max(_clock, now);
            while (_held.Count > 0 && _held[0].Time < _clock - retentionNs)
            {
                Evict();
            }
        }

        public RecordStatus Record(ulong id, long t, float score, float[] dense, ulong[] keys)
        {
            Advance(t);
            if (_held.Exists(e => e.Id == id))
            {
                return RecordStatus.DuplicateTx;
            }

            if (_held.Count == capacity)
            {
                Evict();
            }

            _held.Add((id, t, score, dense, keys, false));
            return RecordStatus.Stored;
        }

        public (JoinStatus, float Score, float[]? Dense, ulong[]? Keys) Join(ulong id, long t)
        {
            Advance(t);
            int at = _held.FindIndex(e => e.Id == id);
            if (at < 0)
            {
                return (_evicted.Contains(id) ? JoinStatus.EvictedTx : JoinStatus.UnknownTx, 0, null, null);
            }

            var e = _held[at];
            if (e.Joined)
            {
                return (JoinStatus.DuplicateLabel, 0, null, null);
            }

            if (t < e.Time)
            {
                return (JoinStatus.LabelBeforeDecision, 0, null, null);
            }

            _held[at] = e with { Joined = true };
            return (JoinStatus.Joined, e.Score, e.Dense, e.Keys);
        }
    }

    [Theory]
    [InlineData(1, 16, 50)]
    [InlineData(2, 64, 400)]
    [InlineData(3, 1, 30)]
    [InlineData(4, 200, 100_000)]
    public void Agrees_with_a_naive_list_on_random_streams(int seed, int capacity, long retention)
    {
        const int Dense = 4, MaxKeys = 3;
        var store = new LabelJoinStore(new LabelJoinOptions { Capacity = capacity, Retention = TimeSpan.FromTicks(retention), DenseCount = Dense, MaxSparseKeys = MaxKeys });
        var naive = new NaiveJoin(capacity, retention * 100);
        var rng = new Random(seed);
        long t = 0;
        var counts = new Dictionary<JoinStatus, int>();
        for (int step = 0; step < 20_000; step++)
        {
            t += rng.Next(0, 400);
            long jitter = t - rng.Next(0, 300); // out-of-order times
            ulong id = (ulong)rng.Next(capacity * 4);
            if (rng.Next(2) == 0)
            {
                var dense = Enumerable.Range(0, Dense).Select(_ => (float)rng.NextDouble()).ToArray();
                var keys = Enumerable.Range(0, rng.Next(MaxKeys + 1)).Select(_ => (ulong)rng.NextInt64()).ToArray();
                float score = (float)rng.NextDouble();
                Assert.Equal(naive.Record(id, jitter, score, dense, keys), store.Record(id, jitter, score, dense, keys));
            }
            else
            {
                var (status, score, dense, keys) = naive.Join(id, jitter);
                var actual = store.TryJoin(id, jitter, out var example);
                Assert.Equal(status, actual);
                counts[status] = counts.GetValueOrDefault(status) + 1;
                if (status == JoinStatus.Joined)
                {
                    Assert.Equal(id, example.TxId);
                    Assert.Equal(score, example.Score);
                    Assert.Equal(dense, example.Dense.ToArray());
                    Assert.Equal(keys, example.Keys.ToArray());
                }
            }
        }

        // The stream exercised every path the assertions compare.
        Assert.True(counts.GetValueOrDefault(JoinStatus.Joined) > 100 && counts.GetValueOrDefault(JoinStatus.DuplicateLabel) > 10);
        Assert.True(counts.GetValueOrDefault(JoinStatus.EvictedTx) + counts.GetValueOrDefault(JoinStatus.UnknownTx) > 100);
        Assert.Equal(store.Joined, counts.GetValueOrDefault(JoinStatus.Joined));
        Assert.Equal(store.EvictedLabels, counts.GetValueOrDefault(JoinStatus.EvictedTx));
        Assert.Equal(store.UnknownLabels, counts.GetValueOrDefault(JoinStatus.UnknownTx));
        Assert.Equal(store.DuplicateLabels, counts.GetValueOrDefault(JoinStatus.DuplicateLabel));
        Assert.Equal(store.EarlyLabels, counts.GetValueOrDefault(JoinStatus.LabelBeforeDecision));
    }

    [Fact]
    public void Capacity_and_retention_both_evict_and_late_labels_are_counted_as_evicted()
    {
        var store = new LabelJoinStore(new LabelJoinOptions { Capacity = 2, Retention = TimeSpan.FromSeconds(10), DenseCount = 1, MaxSparseKeys = 0 });
        const long S = 1_000_000_000;
        Assert.Equal(RecordStatus.Stored, store.Record(1, 0, 0.1f, [1f], []));
        Assert.Equal(RecordStatus.Stored, store.Record(2, 1 * S, 0.2f, [2f], []));
        Assert.Equal(RecordStatus.Stored, store.Record(3, 2 * S, 0.3f, [3f], [])); // evicts 1 (capacity)
        Assert.Equal(RecordStatus.DuplicateTx, store.Record(3, 2 * S, 0.3f, [3f], []));
        Assert.Equal(RecordStatus.BadShape, store.Record(4, 2 * S, 0.3f, [3f, 4f], []));
        Assert.Equal(JoinStatus.EvictedTx, store.TryJoin(1, 3 * S, out _));
        Assert.Equal(JoinStatus.UnknownTx, store.TryJoin(99, 3 * S, out _));
        Assert.Equal(JoinStatus.LabelBeforeDecision, store.TryJoin(3, 1 * S, out _));
        Assert.Equal(JoinStatus.Joined, store.TryJoin(3, 4 * S, out var joined));
        Assert.Equal(3f, joined.Dense[0]);
        Assert.Equal(JoinStatus.DuplicateLabel, store.TryJoin(3, 5 * S, out _));
        Assert.Equal(JoinStatus.EvictedTx, store.TryJoin(2, 12 * S, out _)); // 2 outlived the 10 s retention
        Assert.Equal((1L, 1L, 1L, 1L), (store.EvictedForCapacity, store.ExpiredByRetention, store.DuplicateDecisions, store.BadShapeDecisions));
    }

    [Fact]
    public void Record_and_join_allocate_nothing()
    {
        var store = new LabelJoinStore(new LabelJoinOptions { Capacity = 1024, Retention = TimeSpan.FromSeconds(1), DenseCount = 8, MaxSparseKeys = 4 });
        var x = new float[8];
        var keys = new ulong[] { 1, 2, 3 };
        for (int pass = 0; pass < 2; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            float sum = 0;
            for (ulong i = 0; i < 20_000; i++)
            {
                ulong id = ((ulong)pass * 1_000_000) + i;
                store.Record(id, (long)id * 1000, 0.5f, x, keys);
                if (store.TryJoin(id - 10, (long)id * 1000, out var e) == JoinStatus.Joined)
                {
                    sum += e.Dense[0];
                }
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, allocated);
            Assert.Equal(0f, sum);
        }
    }
}
