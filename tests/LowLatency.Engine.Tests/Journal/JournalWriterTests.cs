using LowLatency.Engine.Journal;

namespace LowLatency.Engine.Tests.Journal;

public class JournalWriterTests
{
    internal sealed record Written(JournalRecordType Type, long Sequence, long TimeNs, byte[] Payload);

    internal static List<Written> RandomRecords(int count, int seed, int maxPayload = 200)
    {
        var rng = new Random(seed);
        var list = new List<Written>();
        long seq = 0;
        for (int i = 0; i < count; i++)
        {
            var payload = new byte[rng.Next(1, maxPayload)];
            rng.NextBytes(payload);
            var type = rng.Next(10) == 0 ? JournalRecordType.ModelSwap : (JournalRecordType)rng.Next(1, 5);
            list.Add(new Written(type, seq, 1_700_000_000_000_000_000 + (i * 1000L), payload));
            if (type != JournalRecordType.ModelSwap)
            {
                seq++;
            }
        }

        return list;
    }

    internal static JournalOptions Options(string dir, long segmentBytes = JournalOptions.MinSegmentBytes, JournalDurability durability = JournalDurability.None) =>
        new() { Directory = dir, SegmentBytes = segmentBytes, Durability = durability, SyncEveryRecords = 10 };

    internal static void WriteAll(JournalWriter w, IEnumerable<Written> records)
    {
        foreach (var r in records)
        {
            w.Append(r.Type, r.Sequence, r.TimeNs, r.Payload);
        }
    }

    internal static List<Written> ReadAll(string dir, out JournalReader reader)
    {
        var list = new List<Written>();
        reader = JournalReader.Open(dir);
        using (reader)
        {
            while (reader.TryRead(out var r))
            {
                list.Add(new Written(r.Type, r.Sequence, r.ReceiveTimeNs, r.Payload.ToArray()));
            }
        }

        return list;
    }

    internal static void AssertSame(IReadOnlyList<Written> expected, IReadOnlyList<Written> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Type, actual[i].Type);
            Assert.Equal(expected[i].Sequence, actual[i].Sequence);
            Assert.Equal(expected[i].TimeNs, actual[i].TimeNs);
            Assert.Equal(expected[i].Payload, actual[i].Payload);
        }
    }

    [Fact]
    public void Records_read_back_in_order_across_rolled_segments()
    {
        using var dir = new TempJournal();
        var records = RandomRecords(3000, seed: 1);
        using (var w = JournalWriter.Open(Options(dir.Path)))
        {
            WriteAll(w, records);
            Assert.True(w.Rolls >= 3, $"expected several segments, got {w.Rolls} rolls");
        }

        AssertSame(records, ReadAll(dir.Path, out var reader));
        Assert.Empty(reader.Issues);
        Assert.True(Directory.GetFiles(dir.Path, "*.journal").Length >= 4);
    }

    [Fact]
    public void Reopening_continues_after_the_last_record_and_sequence()
    {
        using var dir = new TempJournal();
        var records = RandomRecords(1500, seed: 2);
        using (var w = JournalWriter.Open(Options(dir.Path)))
        {
            WriteAll(w, records.Take(700));
        }

        long expectedNext = records.Take(700).Where(r => r.Type != JournalRecordType.ModelSwap).Select(r => r.Sequence + 1).Max();
        using (var w = JournalWriter.Open(Options(dir.Path)))
        {
            Assert.Equal(expectedNext, w.NextSequence);
            Assert.Equal(0, w.Recovery.TruncatedBytes);
            WriteAll(w, records.Skip(700));
        }

        AssertSame(records, ReadAll(dir.Path, out _));
    }

    [Fact]
    public void A_model_swap_record_is_stamped_with_the_next_sequence_without_taking_it()
    {
        using var dir = new TempJournal();
        using (var w = JournalWriter.Open(Options(dir.Path)))
        {
            w.Append(JournalRecordType.Transaction, 0, 1, [1]);
            w.Append(JournalRecordType.ModelSwap, 1, 2, [2]);
            Assert.Equal(1, w.NextSequence);
        }

        using var again = JournalWriter.Open(Options(dir.Path));
        Assert.Equal(1, again.NextSequence);
    }

    [Fact]
    public void Empty_journal_after_a_roll_remembers_the_sequence_in_the_segment_header()
    {
        using var dir = new TempJournal();
        using (var w = JournalWriter.Open(Options(dir.Path)))
        {
            // Fill exactly until the writer must roll, then roll with one more record and cut it away below.
            var payload = new byte[1000];
            long seq = 0;
            while (w.Rolls == 0)
            {
                w.Append(JournalRecordType.Transaction, seq++, 0, payload);
            }

            Assert.Equal(seq, w.NextSequence);
        }

        var segments = Directory.GetFiles(dir.Path, "*.journal").Order().ToArray();
        Assert.Equal(2, segments.Length);
        using (var f = new FileStream(segments[1], FileMode.Open))
        {
            f.Position = 64;
            f.Write(new byte[2000]);
        }

        using var reopened = JournalWriter.Open(Options(dir.Path));
        var all = ReadAll(dir.Path, out _);
        Assert.Equal(all[^1].Sequence + 1, reopened.NextSequence);
    }

    [Fact]
    public void A_segment_file_with_a_zeroed_header_from_a_crash_during_roll_is_reinitialised()
    {
        using var dir = new TempJournal();
        var records = RandomRecords(200, seed: 3);
        using (var w = JournalWriter.Open(Options(dir.Path)))
        {
            WriteAll(w, records);
        }

        // A crash after creating the next file but before its header reached the page cache.
        using (var f = new FileStream(Path.Combine(dir.Path, "0000000001.journal"), FileMode.CreateNew))
        {
            f.SetLength(JournalOptions.MinSegmentBytes);
        }

        using (var w = JournalWriter.Open(Options(dir.Path)))
        {
            Assert.Equal(1, w.Recovery.TailSegment);
            w.Append(JournalRecordType.Label, w.NextSequence, 5, [9, 9]);
        }

        var all = ReadAll(dir.Path, out var reader);
        Assert.Empty(reader.Issues);
        AssertSame(records, all.Take(records.Count).ToList());
        Assert.Equal(records.Count + 1, all.Count);
    }

    [Fact]
    public void Batch_durability_syncs_every_n_records_and_sync_before_publish_at_every_batch_end()
    {
        using var dir = new TempJournal();
        using (var w = JournalWriter.Open(Options(dir.Path, durability: JournalDurability.Batch)))
        {
            for (int i = 0; i < 100; i++)
            {
                w.Append(JournalRecordType.Transaction, i, 0, [1, 2, 3]);
                w.EndOfBatch();
            }

            Assert.Equal(10, w.Syncs);
        }

        using var dir2 = new TempJournal();
        using (var w = JournalWriter.Open(Options(dir2.Path, durability: JournalDurability.SyncBeforePublish)))
        {
            for (int i = 0; i < 30; i++)
            {
                w.Append(JournalRecordType.Transaction, i, 0, [1, 2, 3]);
                if (i % 3 == 2)
                {
                    w.EndOfBatch();
                }
            }

            Assert.Equal(10, w.Syncs);
        }

        using var dir3 = new TempJournal();
        using (var w = JournalWriter.Open(Options(dir3.Path, durability: JournalDurability.None)))
        {
            w.Append(JournalRecordType.Transaction, 0, 0, [1]);
            w.EndOfBatch();
            Assert.Equal(0, w.Syncs);
        }
    }

    [Fact]
    public void Batch_durability_with_the_default_record_count_syncs_by_time_at_a_modest_rate()
    {
        // About 200 records a second for 400 ms: far below the 65,536-record bound, so every sync is the interval's.
        using var dir = new TempJournal();
        var options = new JournalOptions { Directory = dir.Path, Durability = JournalDurability.Batch, SyncInterval = TimeSpan.FromMilliseconds(50) };
        Assert.Equal(65_536, options.SyncEveryRecords);
        using var w = JournalWriter.Open(options);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int records = 0;
        while (clock.Elapsed < TimeSpan.FromMilliseconds(400))
        {
            w.Append(JournalRecordType.Transaction, records, 0, [1, 2, 3]);
            records++;
            w.EndOfBatch();
            Thread.Sleep(5);
        }

        double elapsedMs = clock.Elapsed.TotalMilliseconds;
        Assert.True(w.Syncs >= 3, $"{w.Syncs} syncs in {elapsedMs:F0} ms");
        Assert.True(w.Syncs <= (elapsedMs / 50) + 1, $"{w.Syncs} syncs in {elapsedMs:F0} ms: more often than the interval");
        Assert.True(records < 65_536);
    }

    [Fact]
    public void Appending_allocates_nothing_in_steady_state()
    {
        using var dir = new TempJournal();
        using var w = JournalWriter.Open(Options(dir.Path, segmentBytes: 64L << 20, durability: JournalDurability.Batch) with { SyncEveryRecords = 4096 });
        var payload = new byte[96];
        for (int i = 0; i < 1000; i++)
        {
            w.Append(JournalRecordType.Transaction, i, i, payload);
            w.EndOfBatch();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 1000; i < 51_000; i++)
        {
            var span = w.Claim(96);
            payload.CopyTo(span);
            w.Commit(JournalRecordType.Transaction, i, i, 96);
            w.EndOfBatch();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(w.Syncs > 0);
    }

    [Fact]
    public void Options_reject_bad_values_with_the_name()
    {
        Assert.Contains("SegmentBytes", Assert.Throws<ArgumentException>(() => Options("x", 1000).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("SyncEveryRecords", Assert.Throws<ArgumentException>(() => (Options("x") with { SyncEveryRecords = 0 }).Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_payload_larger_than_a_segment_is_refused_clearly()
    {
        using var dir = new TempJournal();
        using var w = JournalWriter.Open(Options(dir.Path));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Claim(JournalOptions.MinSegmentBytes));
        w.Append(JournalRecordType.Control, 0, 0, new byte[w.MaxPayload]);
        Assert.Single(ReadAll(dir.Path, out _));
    }
}
