using System.Buffers.Binary;
using System.Diagnostics;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;

namespace LowLatency.Host.Tests;

public sealed class ReplayCommandTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private static readonly string[] Model = ["--history", "5000", "--sim-cards", "5000", "--card-capacity", "16384"];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lowlat-replay-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string P(string name) => Path.Combine(_dir.FullName, name);

    private static (int Code, string Out) Lowlat2(params string[] args)
    {
        var (code, output, error) = Lowlat.Run(Bound, args);
        return (code, output + error);
    }

    private static List<byte[]> Frames(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var list = new List<byte[]>();
        int at = 8;
        while (at + 4 <= bytes.Length)
        {
            int n = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
            if (at + 4 + n > bytes.Length)
            {
                break;
            }

            list.Add(bytes.AsSpan(at + 4, n).ToArray());
            at += 4 + n;
        }

        return list;
    }

    private static void WriteFrames(string path, IEnumerable<byte[]> frames)
    {
        using var f = File.Create(path);
        f.Write("LLFRAME1"u8);
        Span<byte> prefix = stackalloc byte[4];
        foreach (var m in frames)
        {
            BinaryPrimitives.WriteInt32LittleEndian(prefix, m.Length);
            f.Write(prefix);
            f.Write(m);
        }
    }

    private static ushort Template(byte[] message) => BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(2));

    [Fact]
    public void Replay_and_inspect_document_their_options()
    {
        foreach (var command in new[] { "replay", "inspect" })
        {
            var (code, output) = Lowlat2(command, "--help");
            Assert.Equal(0, code);
            Assert.Contains("Usage:", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Replaying_the_journal_of_a_run_reproduces_its_decision_file_and_inspect_counts_match_the_input()
    {
        Assert.Equal(0, Lowlat2("gen", "--out", P("f.bin"), "--events", "30000", "--cards", "5000").Code);
        var (code, output) = Lowlat2(["replay", P("f.bin"), "--journal", P("j"), "--decisions", P("live.bin"), .. Model]);
        Assert.True(code == 0, output);
        (code, output) = Lowlat2(["replay", P("j"), "--decisions", P("replayed.bin"), .. Model]);
        Assert.True(code == 0, output);
        Assert.Equal(File.ReadAllBytes(P("live.bin")), File.ReadAllBytes(P("replayed.bin")));

        var frames = Frames(P("f.bin"));
        int transactions = frames.Count(m => Template(m) == (ushort)TemplateId.Transaction);
        int labels = frames.Count(m => Template(m) == (ushort)TemplateId.Label);
        (code, output) = Lowlat2("inspect", P("j"), "--from", "10", "--count", "2");
        Assert.True(code == 0, output);
        Assert.Matches($@"Transaction\s*│\s*{transactions:N0}\s", output);
        Assert.Matches($@"Label\s*│\s*{labels:N0}\s", output);
        Assert.Matches(@"CRC errors\s*│\s*0\s", output);
        Assert.Contains("#10 ", output, StringComparison.Ordinal);
        Assert.Contains("#11 ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("#12 ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_reports_a_crc_error_in_a_damaged_journal()
    {
        Assert.Equal(0, Lowlat2("gen", "--out", P("f.bin"), "--events", "5000", "--cards", "5000").Code);
        Assert.Equal(0, Lowlat2(["replay", P("f.bin"), "--journal", P("j"), .. Model]).Code);
        string segment = Directory.GetFiles(P("j"), "*.journal").Single();
        using (var f = new FileStream(segment, FileMode.Open))
        {
            f.Position = 64 + 200; // inside an early record's payload
            int b = f.ReadByte();
            f.Position = 64 + 200;
            f.WriteByte((byte)(b ^ 0x01));
        }

        var (code, output) = Lowlat2("inspect", P("j"));
        Assert.Equal(0, code);
        Assert.Matches(@"CRC errors\s*│\s*1\s", output);
        Assert.Contains("fails its CRC", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_csv_replay_through_a_column_map_decides_exactly_like_the_sbe_frames_of_the_same_stream()
    {
        Assert.Equal(0, Lowlat2("gen", "--out", P("f.bin"), "--events", "20000", "--cards", "5000").Code);
        Assert.Equal(0, Lowlat2("gen", "--out", P("f.csv"), "--format", "csv", "--events", "20000", "--cards", "5000").Code);
        File.WriteAllText(P("map.json"), """
            { "kindColumn": "kind", "transactionKind": "transaction", "labelKind": "label",
              "transaction": { "TxId": "tx_id", "EventTimeNs": "event_time_ns", "CardId": "card_id", "AccountId": "account_id",
                               "MerchantId": "merchant_id", "DeviceId": "device_id", "AmountMinor": "amount_minor", "Ipv4": "ipv4",
                               "Currency": "currency", "Mcc": "mcc", "Country": "country", "Channel": "channel", "EntryMode": "entry_mode",
                               "Flags": "flags", "Latitude": "latitude", "Longitude": "longitude" },
              "label": { "TxId": "tx_id", "LabelTimeNs": "event_time_ns", "Class": "label_class", "Source": "label_source" } }
            """);
        var (code, output) = Lowlat2(["replay", P("f.bin"), "--decisions", P("a.csv"), .. Model]);
        Assert.True(code == 0, output);
        (code, output) = Lowlat2(["replay", P("f.csv"), "--map", P("map.json"), "--decisions", P("b.csv"), .. Model]);
        Assert.True(code == 0, output);
        Assert.Contains("0 malformed", output, StringComparison.Ordinal);
        var a = File.ReadAllLines(P("a.csv"));
        Assert.True(a.Length > 15_000);

        // Coordinates go through the CSV with 5 decimals, so the scores of events with a location may differ in the
        // last bits; ids, outcomes and everything else must agree row for row.
        var b = File.ReadAllLines(P("b.csv"));
        Assert.Equal(a.Length, b.Length);
        int sameScore = 0;
        for (int i = 1; i < a.Length; i++)
        {
            var x = a[i].Split(',');
            var y = b[i].Split(',');
            Assert.Equal(x[0], y[0]);
            Assert.Equal(x[3], y[3]);
            Assert.InRange(Math.Abs(float.Parse(x[2], System.Globalization.CultureInfo.InvariantCulture) - float.Parse(y[2], System.Globalization.CultureInfo.InvariantCulture)), 0, 1e-3);
            sameScore += x[2] == y[2] ? 1 : 0;
        }

        Assert.True(sameScore > a.Length / 2, $"only {sameScore} of {a.Length} scores identical");
    }

    [Fact]
    public void A_run_killed_with_sigkill_and_recovered_ends_in_the_same_state_with_the_same_decisions_as_an_uninterrupted_run()
    {
        Assert.Equal(0, Lowlat2("gen", "--out", P("g.bin"), "--events", "120000", "--cards", "5000").Code);

        // The gateway asks for a snapshot every 15,000 messages (Snapshot control messages in the stream).
        var frames = Frames(P("g.bin"));
        var withSnapshots = new List<byte[]>();
        var buffer = new byte[64];
        for (int i = 0; i < frames.Count; i++)
        {
            if (i > 0 && i % 15_000 == 0)
            {
                int n = ControlCodec.Encode(buffer, new ControlMessage { RequestId = (ulong)i, Command = ControlCommand.Snapshot, EventTimeNs = 0 });
                withSnapshots.Add(buffer[..n]);
            }

            withSnapshots.Add(frames[i]);
        }

        WriteFrames(P("f.bin"), withSnapshots);
        var (code, output) = Lowlat2(["replay", P("f.bin"), "--journal", P("ref"), "--decisions", P("ref.bin"), "--state-out", P("ref.state"), .. Model]);
        Assert.True(code == 0, output);

        // Pace the crash run to take ~8 s of replay, kill it once it has written a snapshot and run a little longer.
        long first = TxTime(frames.First(m => Template(m) == (ushort)TemplateId.Transaction));
        long last = TxTime(frames.Last(m => Template(m) == (ushort)TemplateId.Transaction));
        double factor = (last - first) / 8e9;
        string dll = Path.Combine(AppContext.BaseDirectory, "lowlat.dll");
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[dll, "replay", P("f.bin"), "--journal", P("crash"), "--decisions", P("c1.bin"), "--speed", $"{factor.ToString(System.Globalization.CultureInfo.InvariantCulture)}x", .. Model])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["NO_COLOR"] = "1";
        using (var child = Process.Start(psi)!)
        {
            _ = child.StandardOutput.ReadToEndAsync();
            _ = child.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!Directory.Exists(P("crash")) || Directory.GetFiles(P("crash"), "state-*.snapshot").Length == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the crash run never wrote a snapshot");
                Assert.False(child.HasExited, "the crash run ended before it could be killed");
                Thread.Sleep(20);
            }

            Thread.Sleep(1500);
            Assert.False(child.HasExited, "the crash run ended before it could be killed");
            child.Kill(); // SIGKILL on Unix: no finally blocks, no flush, no journal close
            Assert.True(child.WaitForExit(10_000));
        }

        (code, output) = Lowlat2(["replay", P("f.bin"), "--journal", P("crash"), "--recover", "--decisions", P("c2.bin"), "--state-out", P("c.state"), .. Model]);
        Assert.True(code == 0, output);
        Assert.Contains("Recovered from state-", output, StringComparison.Ordinal);
        var resumed = System.Text.RegularExpressions.Regex.Match(output, @"resuming the input at message ([\d,]+)");
        long resumeAt = long.Parse(resumed.Groups[1].Value.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumeAt, 15_001, withSnapshots.Count - 1000);

        // Same state as the run that never crashed.
        Assert.Equal(File.ReadAllBytes(P("ref.state")), File.ReadAllBytes(P("c.state")));

        // Every decision after restart (the re-decided journal tail, then the rest) equals the uninterrupted run's, byte for byte.
        var reference = DecisionFrames(File.ReadAllBytes(P("ref.bin")));
        var after = DecisionFrames(File.ReadAllBytes(P("c2.bin")));
        Assert.True(after.Count > 1000);
        int from = reference.FindIndex(d => d.AsSpan().SequenceEqual(after[0]));
        Assert.True(from > 0, "the first decision after restart is not one of the reference run's");
        Assert.Equal(reference.Count - from, after.Count);
        for (int i = 0; i < after.Count; i++)
        {
            Assert.Equal(reference[from + i], after[i]);
        }

        // What the crashed run had written before the kill is a prefix of the reference too.
        var before = DecisionFrames(File.ReadAllBytes(P("c1.bin")));
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(reference[i], before[i]);
        }
    }

    /// <summary>
    /// An input that cannot be read to its end (a frame length overwritten in the middle, a journal record failing its
    /// CRC, a cut-off last frame) used to end the replay quietly with exit 0 and "1 malformed input record", the rest
    /// unread. Now the run says where and how much was left, and exits 3; an intact input still exits 0.
    /// </summary>
    [Fact]
    public void A_damaged_input_is_reported_with_what_was_left_unread_and_exit_3()
    {
        Assert.Equal(0, Lowlat2("gen", "--out", P("g.bin"), "--events", "4000", "--cards", "1000").Code);
        var (code, output) = Lowlat2(["replay", P("g.bin"), "--journal", P("j"), .. Model]);
        Assert.True(code == 0, output);
        Assert.DoesNotContain("Input damaged", output, StringComparison.Ordinal);
        Assert.DoesNotContain("already holds", output, StringComparison.Ordinal);

        // Journaling into a journal that holds records appends, and says so.
        (code, output) = Lowlat2(["replay", P("g.bin"), "--journal", P("j2"), .. Model]);
        Assert.True(code == 0, output);
        (code, output) = Lowlat2(["replay", P("g.bin"), "--journal", P("j2"), .. Model]);
        Assert.True(code == 0, output);
        Assert.Contains("already holds 4,000 records", System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "), StringComparison.Ordinal);

        var frames = Frames(P("g.bin"));
        int middle = 8 + frames.Take(2000).Sum(f => 4 + f.Length);
        byte[] bytes = File.ReadAllBytes(P("g.bin"));
        byte[] badLength = (byte[])bytes.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(badLength.AsSpan(middle), int.MaxValue);
        File.WriteAllBytes(P("bad.bin"), badLength);
        File.WriteAllBytes(P("cut.bin"), bytes[..^5]);
        string segment = Directory.GetFiles(P("j"), "*.journal").Order(StringComparer.Ordinal).First();
        using (var f = new FileStream(segment, FileMode.Open))
        {
            f.Position = 100_000;
            f.Write(Enumerable.Repeat((byte)0xFF, 16).ToArray());
        }

        (string Input, string Where, string Left)[] cases =
        [
            (P("bad.bin"), $"frame at byte {middle:N0} has an impossible length", $"the {bytes.Length - middle:N0} bytes from there were not read"),
            (P("cut.bin"), "is cut off", "bytes present"),
            (P("j"), "fails its CRC", "bytes of the segment after it were not read"),
        ];
        foreach (var (input, where, left) in cases)
        {
            (code, output) = Lowlat2(["replay", input, .. Model]);
            string flat = System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ");
            Assert.True(code == 3, $"{input}: exit {code}\n{output}");
            Assert.Contains("Input damaged: ", flat, StringComparison.Ordinal);
            Assert.Contains(where, flat, StringComparison.Ordinal);
            Assert.Contains(left, flat, StringComparison.Ordinal);
        }

        (code, output) = Lowlat2(["features", "export", P("bad.bin"), "--out", P("bad.csv"), .. Model]);
        Assert.True(code == 3, output);
    }

    /// <summary>
    /// With the default card table (1M cards, about 2.5 GB of feature state) recovery used to crash: the recovered state
    /// went through a MemoryStream, which holds at most 2 GiB. It now passes through a temporary file beside the journal.
    /// </summary>
    [Fact]
    public void Recovery_with_the_default_feature_tables_resumes_and_leaves_no_temporary_file()
    {
        Assert.Equal(0, Lowlat2("gen", "--out", P("g.bin"), "--events", "20000", "--cards", "5000").Code);
        string[] small = ["--history", "5000", "--sim-cards", "5000"];
        var (code, output) = Lowlat2(["replay", P("g.bin"), "--journal", P("j"), "--decisions", P("ref.bin"), .. small]);
        Assert.True(code == 0, output);

        // A crash mid-write: the journal's first segment ends inside a record.
        string segment = Directory.GetFiles(P("j"), "*.journal").Order(StringComparer.Ordinal).First();
        using (var f = new FileStream(segment, FileMode.Open))
        {
            f.SetLength(1_000_003);
        }

        (code, output) = Lowlat2(["replay", P("g.bin"), "--journal", P("j"), "--recover", "--decisions", P("after.bin"), .. small]);
        Assert.True(code == 0, output);
        Assert.Contains("Journal tail repaired", output, StringComparison.Ordinal);
        var resumed = System.Text.RegularExpressions.Regex.Match(output, @"Recovered\s+from\s+no\s+snapshot\s+\+\s+([\d,]+)\s+journaled\s+messages;\s+resuming\s+the\s+input\s+at\s+message\s+([\d,]+)");
        Assert.True(resumed.Success, output);
        Assert.Empty(Directory.GetFiles(P("j"), "*.tmp"));

        // No snapshot: the journal is re-decided from its start, then the rest of the input. Every decision equals the
        // uninterrupted run's, byte for byte.
        var reference = DecisionFrames(File.ReadAllBytes(P("ref.bin")));
        var after = DecisionFrames(File.ReadAllBytes(P("after.bin")));
        Assert.Equal(reference.Count, after.Count);
        for (int i = 0; i < after.Count; i++)
        {
            Assert.Equal(reference[i], after[i]);
        }
    }

    private static long TxTime(byte[] message)
    {
        Assert.Equal(DecodeStatus.Ok, TransactionCodec.Decode(message, out var tx, out _));
        return tx.EventTimeNs;
    }

    private static List<byte[]> DecisionFrames(byte[] log)
    {
        var list = new List<byte[]>();
        int at = 8;
        while (at + 4 <= log.Length)
        {
            int n = BinaryPrimitives.ReadInt32LittleEndian(log.AsSpan(at));
            if (at + 4 + n > log.Length)
            {
                break;
            }

            list.Add(log.AsSpan(at + 4, n).ToArray());
            at += 4 + n;
        }

        return list;
    }
}
