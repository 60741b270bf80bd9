using System.Globalization;
using System.Runtime.InteropServices;
using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Files;

/// <summary>
/// Builds a point-in-time-correct training set from a pipeline run: each decided transaction's feature vector exactly
/// as the features stage wrote it into the slot (the state just before the event, never after), spooled to a
/// temporary file in decision order; labels from the same stream are joined by txId when the CSV is written.
/// Feeding it is the decide thread's job (<see cref="TrainingSetSink"/>).
/// </summary>
public sealed class TrainingSetWriter : IDisposable
{
    private readonly string _spoolPath = Path.Combine(Path.GetTempPath(), "lowlat-trainingset-" + Guid.NewGuid().ToString("N") + ".bin");
    private readonly FileStream _spool;
    private readonly byte[] _row;
    private readonly Dictionary<ulong, (LabelClass Class, long TimeNs)> _labels = [];

    /// <summary>Creates a writer for feature vectors named <paramref name="names"/> (in vector order).</summary>
    public TrainingSetWriter(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        Names = names;
        _row = new byte[RowBytes];
        _spool = new FileStream(_spoolPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose);
    }

    /// <summary>Feature names, in vector order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Rows spooled.</summary>
    public long Rows { get; private set; }

    /// <summary>Labels seen.</summary>
    public long LabelsSeen { get; private set; }

    private int RowBytes => 8 + 8 + 4 + (4 * Names.Count);

    /// <summary>Spools a decided transaction's features.</summary>
    public void Add(ref PipelineSlot slot)
    {
        var row = _row.AsSpan();
        MemoryMarshal.Write(row, slot.Transaction.TxId);
        MemoryMarshal.Write(row[8..], slot.Transaction.EventTimeNs);
        MemoryMarshal.Write(row[16..], slot.Decision.Score);
        ReadOnlySpan<float> features = slot.Features;
        MemoryMarshal.AsBytes(features[..Names.Count]).CopyTo(row[20..]);
        _spool.Write(row);
        Rows++;
    }

    /// <summary>Remembers a label (the last one for a txId wins: a chargeback overrides an earlier genuine verdict).</summary>
    public void AddLabel(in Label label)
    {
        _labels[label.TxId] = (label.Class, label.LabelTimeNs);
        LabelsSeen++;
    }

    /// <summary>
    /// Writes the CSV: <c>tx_id,event_time_ns,&lt;features&gt;,score,label,label_time_ns</c>; label is 1 (fraud), 0 (genuine)
    /// or empty when the stream never labelled the transaction. Floats in shortest round-trip form.
    /// </summary>
    public void WriteCsv(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var inv = CultureInfo.InvariantCulture;
        output.Write("tx_id,event_time_ns,");
        output.Write(string.Join(',', Names));
        output.Write(",score,label,label_time_ns\n");
        _spool.Flush();
        _spool.Position = 0;
        var row = _row.AsSpan();
        for (long i = 0; i < Rows; i++)
        {
            _spool.ReadExactly(row);
            ulong tx = MemoryMarshal.Read<ulong>(row);
            output.Write(tx.ToString(inv));
            output.Write(',');
            output.Write(MemoryMarshal.Read<long>(row[8..]).ToString(inv));
            for (int f = 0; f < Names.Count; f++)
            {
                output.Write(',');
                output.Write(MemoryMarshal.Read<float>(row[(20 + (4 * f))..]).ToString("R", inv));
            }

            output.Write(',');
            output.Write(MemoryMarshal.Read<float>(row[16..]).ToString("R", inv));
            if (_labels.TryGetValue(tx, out var label))
            {
                output.Write(label.Class == LabelClass.Fraud ? ",1," : ",0,");
                output.Write(label.TimeNs.ToString(inv));
                output.Write('\n');
            }
            else
            {
                output.Write(",,\n");
            }
        }
    }

    /// <summary>Deletes the spool.</summary>
    public void Dispose() => _spool.Dispose();
}
