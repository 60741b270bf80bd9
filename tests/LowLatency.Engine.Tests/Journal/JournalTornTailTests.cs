using LowLatency.Engine.Journal;
using static LowLatency.Engine.Tests.Journal.JournalWriterTests;

namespace LowLatency.Engine.Tests.Journal;

/// <summary>
/// Crash damage to the tail: the journal reopens with every record before the damaged one intact, the damage
/// zeroed, and appends continuing right after. Expected outcomes come from the bytes themselves (was the record
/// actually changed?), not from the code under test.
/// </summary>
public class JournalTornTailTests
{
    private const int Records = 40;

    /// <summary>Writes the records into a template journal and returns the segment path and the last record's [start, end).</summary>
    private static (string Segment, int Start, int End, List<Written> Records) Template(string dir)
    {
        var records = RandomRecords(Records, seed: 11, maxPayload: 100);
        int start;
        using (var w = JournalWriter.Open(Options(dir)))
        {
            WriteAll(w, records.Take(Records - 1));
            start = (int)w.Recovery.TailOffset + (int)w.BytesAppended;
            WriteAll(w, records.Skip(Records - 1));
        }

        int end = start + 24 + records[^1].Payload.Length + 4;
        return (Path.Combine(dir, "0000000000.journal"), start, end, records);
    }

    private static void CheckRecovered(string dir, List<Written> records, bool lastIntact, bool expectTruncation)
    {
        var expected = lastIntact ? records : records.Take(Records - 1).ToList();
        var extra = new Written(JournalRecordType.Label, 999, 7, [1, 2, 3, 4, 5]);
        using (var w = JournalWriter.Open(Options(dir)))
        {
            Assert.Equal(expectTruncation, w.Recovery.TruncatedBytes > 0);
            w.Append(extra.Type, extra.Sequence, extra.TimeNs, extra.Payload);
        }

        var all = ReadAll(dir, out var reader);
        Assert.Empty(reader.Issues);
        AssertSame([.. expected, extra], all);
    }

    private static void Copy(string from, string to)
    {
        foreach (var f in Directory.GetFiles(from))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)), overwrite: true);
        }
    }

    [Fact]
    public void Cut_at_every_byte_of_the_last_record_with_zeros_after_keeps_everything_before()
    {
        using var template = new TempJournal();
        var (segment, start, end, records) = Template(template.Path);
        byte[] original = File.ReadAllBytes(segment);
        for (int cut = start; cut < end; cut++)
        {
            using var dir = new TempJournal();
            var bytes = (byte[])original.Clone();
            Array.Clear(bytes, cut, end - cut);
            File.WriteAllBytes(Path.Combine(dir.Path, Path.GetFileName(segment)), bytes);
            // Intact when the zeroed bytes were zeros already; nothing to cut when no byte of the record is left.
            bool intact = original.AsSpan(cut, end - cut).IndexOfAnyExcept((byte)0) < 0;
            bool remains = original.AsSpan(start, cut - start).IndexOfAnyExcept((byte)0) >= 0;
            CheckRecovered(dir.Path, records, lastIntact: intact, expectTruncation: remains && !intact);
        }
    }

    [Fact]
    public void File_truncated_at_every_byte_of_the_last_record_keeps_everything_before()
    {
        using var template = new TempJournal();
        var (segment, start, end, records) = Template(template.Path);
        byte[] original = File.ReadAllBytes(segment);
        for (int cut = start; cut < end; cut++)
        {
            using var dir = new TempJournal();
            File.WriteAllBytes(Path.Combine(dir.Path, Path.GetFileName(segment)), original.AsSpan(0, cut).ToArray());
            bool remains = original.AsSpan(start, cut - start).IndexOfAnyExcept((byte)0) >= 0;
            CheckRecovered(dir.Path, records, lastIntact: false, expectTruncation: remains);
        }
    }

    [Fact]
    public void A_single_bit_flip_in_the_last_record_drops_only_that_record()
    {
        using var template = new TempJournal();
        var (segment, start, end, records) = Template(template.Path);
        byte[] original = File.ReadAllBytes(segment);

        // Every bit of the length, type and CRC words, and a random sample of the other bits (all of them take ~30 s).
        var rng = new Random(17);
        var bits = Enumerable.Range(start * 8, 64).Concat(Enumerable.Range((end - 4) * 8, 32))
            .Concat(Enumerable.Range(0, 48).Select(_ => rng.Next((start + 8) * 8, (end - 4) * 8)));
        foreach (int bit in bits)
        {
            using var dir = new TempJournal();
            var bytes = (byte[])original.Clone();
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            File.WriteAllBytes(Path.Combine(dir.Path, Path.GetFileName(segment)), bytes);
            CheckRecovered(dir.Path, records, lastIntact: false, expectTruncation: true);
        }
    }

    [Fact]
    public void Garbage_after_the_last_record_is_zeroed_and_appends_continue()
    {
        using var template = new TempJournal();
        var (segment, _, end, records) = Template(template.Path);
        var rng = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            using var dir = new TempJournal();
            var bytes = File.ReadAllBytes(segment);
            int aligned = (end + 7) & ~7;
            int from = aligned + rng.Next(0, 512);
            var junk = new byte[rng.Next(1, 3000)];
            rng.NextBytes(junk);
            junk[^1] = 0xFF;
            junk.CopyTo(bytes, from);
            File.WriteAllBytes(Path.Combine(dir.Path, Path.GetFileName(segment)), bytes);
            using (var w = JournalWriter.Open(Options(dir.Path)))
            {
                Assert.True(w.Recovery.TruncatedBytes >= from + junk.Length - aligned);
            }

            CheckRecovered(dir.Path, records, lastIntact: true, expectTruncation: false);
        }
    }

    [Fact]
    public void A_corrupt_record_in_an_earlier_segment_is_reported_by_the_reader_not_truncated()
    {
        using var dir = new TempJournal();
        var records = RandomRecords(2000, seed: 12);
        using (var w = JournalWriter.Open(Options(dir.Path)))
        {
            WriteAll(w, records);
        }

        var first = Path.Combine(dir.Path, "0000000000.journal");
        var bytes = File.ReadAllBytes(first);
        bytes[64 + 30] ^= 0x10;
        File.WriteAllBytes(first, bytes);
        var all = ReadAll(dir.Path, out var reader);
        Assert.Equal(1, reader.CrcErrors);
        var issue = Assert.Single(reader.Issues);
        Assert.Equal(0, issue.Segment);
        Assert.Equal(64, issue.Offset);
        Assert.True(all.Count < records.Count);
        Assert.Equal(records[^1].Payload, all[^1].Payload);
    }
}
