using System.CommandLine;
using System.Globalization;
using LowLatency.Adapters.Files;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Journal;
using Spectre.Console;

namespace LowLatency.Host;

/// <summary><c>lowlat inspect &lt;journal&gt;</c>: what a journal holds (time range, counts by type, gaps, CRC errors), and a dump of selected records.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var journal = new Argument<DirectoryInfo>("journal") { Description = "Journal directory (holding NNNNNNNNNN.journal segments)" };
        var from = new Option<long?>("--from") { Description = "Dump records from this sequence on" };
        var count = CliOptions.AtLeast("--count", "Records to dump (with --from; 20 when --from is given alone)", 0, 0);
        var command = new Command("inspect", "Summarise a journal (time range, message counts by type, sequence gaps, CRC errors) and dump selected records.")
        {
            journal, from, count,
        };
        command.SetAction(parse => Run(parse.GetValue(journal)!, parse.GetValue(from), parse.GetValue(count)));
        return command;
    }

    private static int Run(DirectoryInfo dir, long? from, long count)
    {
        var console = AnsiConsole.Console;
        if (!JournalReader.IsJournal(dir.FullName))
        {
            console.MarkupLine(CultureInfo.InvariantCulture, $"[red]{Markup.Escape(dir.FullName)} holds no journal segments.[/]");
            return 1;
        }

        var s = JournalSummary.Of(dir.FullName);
        var table = new Table().AddColumn("Journal").AddColumn(Markup.Escape(dir.FullName));
        table.AddRow("Segments", s.Segments.ToString(CultureInfo.InvariantCulture));
        table.AddRow("Records", s.Records.ToString("N0", CultureInfo.InvariantCulture));
        foreach (var (type, n) in s.ByType)
        {
            table.AddRow($"  {type}", n.ToString("N0", CultureInfo.InvariantCulture));
        }

        table.AddRow("Receive time", s.Records == 0 ? "-" : $"{Time(s.FirstReceiveNs)} .. {Time(s.LastReceiveNs)} ({TimeSpan.FromTicks((s.LastReceiveNs - s.FirstReceiveNs) / 100):c})");
        table.AddRow("Sequences", s.FirstSequence < 0 ? "-" : $"{s.FirstSequence:N0} .. {s.LastSequence:N0}");
        table.AddRow("Gaps", $"{s.Gaps.Count:N0} ({s.MissingSequences:N0} sequences not journaled)" + (s.Gaps.Count > 0 ? "; first at " + string.Join(", ", s.Gaps.Take(5).Select(g => $"{g.From}+{g.Missing}")) : string.Empty));
        table.AddRow("Out of order", s.OutOfOrder.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("CRC errors", s.CrcErrors.ToString("N0", CultureInfo.InvariantCulture));
        foreach (var (seq, swap) in s.ModelSwaps.Take(10))
        {
            table.AddRow("Model swap", Markup.Escape($"at {seq}: v{swap.Version}, fingerprint {swap.Fingerprint:x16}, {swap.Origin}"));
        }

        foreach (var issue in s.Issues)
        {
            table.AddRow("[red]Problem[/]", Markup.Escape($"segment {issue.Segment} offset {issue.Offset}: {issue.Reason} ({issue.UnreadBytes:N0} bytes unread)"));
        }

        console.Write(table);
        if (from is null && count == 0)
        {
            return 0;
        }

        long start = from ?? long.MinValue;
        long take = count > 0 ? count : 20;
        using var reader = JournalReader.Open(dir.FullName);
        long shown = 0;
        while (shown < take && reader.TryRead(out var r))
        {
            if (r.Sequence < start)
            {
                continue;
            }

            console.WriteLine(Describe(r));
            shown++;
        }

        return 0;
    }

    private static string Time(long ns) => ns == 0 ? "-" : DateTime.UnixEpoch.AddTicks(ns / 100).ToString("yyyy-MM-dd HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    internal static string Describe(JournalRecord r)
    {
        var inv = CultureInfo.InvariantCulture;
        string head = string.Create(inv, $"#{r.Sequence} {r.Type} at {Time(r.ReceiveTimeNs)} ({r.Payload.Length} B, segment {r.Segment} offset {r.Offset}): ");
        switch (r.Type)
        {
            case JournalRecordType.Transaction when TransactionCodec.Decode(r.Payload, out var t, out _) == DecodeStatus.Ok:
                return head + string.Create(inv, $"tx {t.TxId} card {t.CardId} merchant {t.MerchantId} amount {t.AmountMinor} cur {t.Currency} mcc {t.Mcc} country {t.Country} {t.Channel}/{t.EntryMode} event {Time(t.EventTimeNs)}");
            case JournalRecordType.Label when LabelCodec.Decode(r.Payload, out var l, out _) == DecodeStatus.Ok:
                return head + string.Create(inv, $"label tx {l.TxId} {l.Class} ({l.Source}) at {Time(l.LabelTimeNs)}");
            case JournalRecordType.Order when OrderCodec.Decode(r.Payload, out var o, out _) == DecodeStatus.Ok:
                return head + string.Create(inv, $"order {o.OrderId} {o.Action} {o.Side} {o.Quantity} @ {o.PriceE8 / 1e8} instrument {o.InstrumentId}");
            case JournalRecordType.Control when ControlCodec.Decode(r.Payload, out var c, out _) == DecodeStatus.Ok:
                return head + string.Create(inv, $"control {c.Command} request {c.RequestId} model v{c.ModelVersion}");
            case JournalRecordType.ModelSwap when ModelSwapRecord.TryDecode(r.Payload, out var m):
                return head + string.Create(inv, $"model v{m.Version} fingerprint {m.Fingerprint:x16} {m.Origin}");
            default:
                return head + Convert.ToHexString(r.Payload[..Math.Min(32, r.Payload.Length)]) + (r.Payload.Length > 32 ? "…" : string.Empty);
        }
    }

}
