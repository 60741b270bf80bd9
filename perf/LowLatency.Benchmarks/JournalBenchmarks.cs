using BenchmarkDotNet.Attributes;
using LowLatency.Engine.Journal;

namespace LowLatency.Benchmarks;

/// <summary>
/// Journal append per event (a 96-byte SBE Transaction payload, 128 bytes on disk with header, CRC and padding),
/// 1M appends per invocation, against the baseline of writing the same 128 bytes per event through a buffered
/// FileStream (no CRC, no framing). Files live in the temp directory (same disk as the dd reference in RESULTS).
/// The journal is recreated before each iteration so segment rolls and page-cache state are alike across iterations.
/// </summary>
[MemoryDiagnoser]
public class JournalBenchmarks
{
    private const int Events = 1_000_000;
    private const int Payload = 96;
    private readonly byte[] _payload = new byte[Payload];
    private readonly byte[] _record = new byte[128];
    private string _dir = string.Empty;
    private JournalWriter _writer = null!;
    private FileStream _file = null!;

    /// <summary>Which durability the journal runs with.</summary>
    [Params(JournalDurability.None, JournalDurability.Batch)]
    public JournalDurability Durability { get; set; }

    /// <summary>Fixed payload bytes.</summary>
    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_payload);
        new Random(2).NextBytes(_record);
        _dir = Path.Combine(Path.GetTempPath(), "lljournal-bench-" + Environment.ProcessId);
    }

    /// <summary>A fresh journal and a fresh baseline file for every iteration.</summary>
    [IterationSetup]
    public void Fresh()
    {
        Cleanup();
        Directory.CreateDirectory(_dir);
        _writer = JournalWriter.Open(new JournalOptions { Directory = _dir, Durability = Durability, SegmentBytes = 256L << 20 });
        _file = new FileStream(Path.Combine(_dir, "baseline.bin"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
    }

    /// <summary>Closes and deletes.</summary>
    [IterationCleanup]
    public void Cleanup()
    {
        _writer?.Dispose();
        _file?.Dispose();
        _writer = null!;
        _file = null!;
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <summary>Baseline: FileStream.Write of the same 128 bytes per event (buffered, never flushed to disk).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public void FileStreamWrite()
    {
        for (int i = 0; i < Events; i++)
        {
            _file.Write(_record);
        }

        _file.Flush();
    }

    /// <summary>Journal: claim, copy the payload into the mapping, commit (header, CRC-32C, length); the durability policy at every 64th append (a batch).</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public void JournalAppend()
    {
        for (int i = 0; i < Events; i++)
        {
            _payload.CopyTo(_writer.Claim(Payload));
            _writer.Commit(JournalRecordType.Transaction, i, i, Payload);
            if ((i & 63) == 63)
            {
                _writer.EndOfBatch();
            }
        }

        _writer.EndOfBatch();
    }
}
