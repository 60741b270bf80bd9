using LowLatency.Engine.Journal;

namespace LowLatency.Adapters.Files;

/// <summary>A gap in the inbound sequence: <paramref name="Missing"/> sequences from <paramref name="From"/> were not journaled.</summary>
/// <param name="From">First missing sequence.</param>
/// <param name="Missing">How many.</param>
public readonly record struct SequenceGap(long From, long Missing);

/// <summary>
/// What <c>lowlat inspect</c> prints about a journal: records by type, receive-time and sequence ranges, gaps in the
/// inbound sequence (slots not journaled, e.g. decode rejects, or lost segments), and what the reader found broken.
/// </summary>
public sealed class JournalSummary
{
    /// <summary>Segments in the journal.</summary>
    public int Segments { get; private set; }

    /// <summary>Intact records.</summary>
    public long Records { get; private set; }

    /// <summary>Intact records by type.</summary>
    public SortedDictionary<JournalRecordType, long> ByType { get; } = [];

    /// <summary>Earliest receive time (ns since epoch), or 0.</summary>
    public long FirstReceiveNs { get; private set; }

    /// <summary>Latest receive time.</summary>
    public long LastReceiveNs { get; private set; }

    /// <summary>First inbound sequence.</summary>
    public long FirstSequence { get; private set; } = -1;

    /// <summary>Last inbound sequence.</summary>
    public long LastSequence { get; private set; } = -1;

    /// <summary>Gaps in the inbound sequence (the first 1,000).</summary>
    public List<SequenceGap> Gaps { get; } = [];

    /// <summary>Total sequences missing over all gaps.</summary>
    public long MissingSequences { get; private set; }

    /// <summary>Inbound records whose sequence did not increase (duplicates or reordering).</summary>
    public long OutOfOrder { get; private set; }

    /// <summary>Model swaps recorded, in order.</summary>
    public List<(long Sequence, ModelSwapRecord Swap)> ModelSwaps { get; } = [];

    /// <summary>Records that failed their CRC.</summary>
    public long CrcErrors { get; private set; }

    /// <summary>Everything the reader found wrong.</summary>
    public IReadOnlyList<JournalIssue> Issues { get; private set; } = [];

    /// <summary>Reads the whole journal in <paramref name="directory"/>.</summary>
    public static JournalSummary Of(string directory)
    {
        var s = new JournalSummary();
        using var reader = JournalReader.Open(directory);
        s.Segments = reader.SegmentCount;
        long expected = long.MinValue;
        while (reader.TryRead(out var r))
        {
            s.Records++;
            s.ByType[r.Type] = s.ByType.GetValueOrDefault(r.Type) + 1;
            if (s.FirstReceiveNs == 0 || r.ReceiveTimeNs < s.FirstReceiveNs)
            {
                s.FirstReceiveNs = r.ReceiveTimeNs;
            }

            s.LastReceiveNs = Math.Max(s.LastReceiveNs, r.ReceiveTimeNs);
            if (r.Type == JournalRecordType.ModelSwap)
            {
                if (ModelSwapRecord.TryDecode(r.Payload, out var swap))
                {
                    s.ModelSwaps.Add((r.Sequence, swap));
                }

                continue;
            }

            if (r.Type is < JournalRecordType.Transaction or > JournalRecordType.Control)
            {
                continue;
            }

            if (s.FirstSequence < 0)
            {
                s.FirstSequence = r.Sequence;
            }
            else if (r.Sequence > expected)
            {
                s.MissingSequences += r.Sequence - expected;
                if (s.Gaps.Count < 1000)
                {
                    s.Gaps.Add(new SequenceGap(expected, r.Sequence - expected));
                }
            }
            else if (r.Sequence < expected)
            {
                s.OutOfOrder++;
            }

            s.LastSequence = Math.Max(s.LastSequence, r.Sequence);
            expected = Math.Max(expected, r.Sequence + 1);
        }

        s.CrcErrors = reader.CrcErrors;
        s.Issues = [.. reader.Issues];
        return s;
    }
}
