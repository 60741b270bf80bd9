using System.CommandLine;
using System.Globalization;
using LowLatency.Adapters.Sbe;
using LowLatency.Adapters.Simulation;
using Spectre.Console;

namespace LowLatency.Host;

/// <summary>Output formats of <c>lowlat gen</c>.</summary>
internal enum GenFormat
{
    /// <summary>SBE messages, each preceded by its length (see README).</summary>
    Sbe,
    /// <summary>One row per event with the ground truth.</summary>
    Csv,
}

/// <summary><c>lowlat gen</c>: writes the simulator's stream to a file, as SBE frames or CSV.</summary>
internal static class GenCommand
{
    /// <summary>First bytes of a frames file: name and format version.</summary>
    public static ReadOnlySpan<byte> FramesMagic => "LLFRAME1"u8;

    public static Command Create()
    {
        var output = new Option<FileInfo>("--out") { Description = "File to write", Required = true }.Writable();
        var format = CliOptions.Choice("--format", "sbe (length-prefixed SBE messages) or csv (with ground truth)", GenFormat.Sbe);
        var events = CliOptions.AtLeast("--events", "Number of events (transactions and labels) to write", 1_000_000, 1);
        var seed = CliOptions.AtLeast("--seed", "Simulator seed", 42, 0);
        var cards = CliOptions.AtLeast("--cards", "Cards in the simulated population", 200_000, 1_000);
        var command = new Command("gen", "Write a deterministic simulated stream (transactions and delayed labels) to a file.") { output, format, events, seed, cards };
        command.SetAction(parse => Run(parse.GetValue(output)!, parse.GetValue(format), parse.GetValue(events), (ulong)parse.GetValue(seed), (int)parse.GetValue(cards)));
        return command;
    }

    private static int Run(FileInfo output, GenFormat format, long events, ulong seed, int cards)
    {
        var sim = new PaymentSimulator(new SimulatorOptions { Seed = seed, Cards = cards, Merchants = Math.Max(100, cards / 10) });
        output.Directory?.Create();
        using var stream = new FileStream(output.FullName, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var e = default(SimEvent);
        AnsiConsole.Progress().Start(ctx =>
        {
            var task = ctx.AddTask($"Writing {events:N0} events", maxValue: events);
            if (format == GenFormat.Sbe)
            {
                stream.Write(FramesMagic);
                Span<byte> frame = stackalloc byte[4 + 128];
                for (long i = 0; i < events; i++)
                {
                    sim.Next(ref e);
                    int n = e.Kind == SimEventKind.Transaction ? TransactionCodec.Encode(frame[4..], e.Transaction) : LabelCodec.Encode(frame[4..], e.Label);
                    System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(frame, n);
                    stream.Write(frame[..(4 + n)]);
                    if ((i & 0xFFFF) == 0)
                    {
                        task.Value = i;
                    }
                }
            }
            else
            {
                using var writer = new StreamWriter(stream, leaveOpen: true);
                writer.WriteLine("kind,tx_id,event_time_ns,card_id,account_id,merchant_id,device_id,amount_minor,ipv4,currency,mcc,country,channel,entry_mode,flags,latitude,longitude,is_fraud,fraud_pattern,label_class,label_source");
                for (long i = 0; i < events; i++)
                {
                    sim.Next(ref e);
                    var t = e.Transaction;
                    writer.WriteLine(e.Kind == SimEventKind.Transaction
                        ? string.Create(CultureInfo.InvariantCulture, $"transaction,{t.TxId},{t.EventTimeNs},{t.CardId},{t.AccountId},{t.MerchantId},{t.DeviceId},{t.AmountMinor},{t.Ipv4},{t.Currency},{t.Mcc},{t.Country},{t.Channel},{t.EntryMode},{(byte)t.Flags},{Coord(t.Latitude)},{Coord(t.Longitude)},{(e.Truth.IsFraud ? 1 : 0)},{e.Truth.Pattern},,")
                        : string.Create(CultureInfo.InvariantCulture, $"label,{e.Label.TxId},{e.Label.LabelTimeNs},,,,,,,,,,,,,,,,,{e.Label.Class},{e.Label.Source}"));
                    if ((i & 0xFFFF) == 0)
                    {
                        task.Value = i;
                    }
                }
            }

            task.Value = events;
        });
        AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, $"Wrote {events:N0} events ({sim.Transactions:N0} transactions, {sim.FraudTransactions:N0} fraud, {sim.Labels:N0} labels) to {Markup.Escape(output.FullName)}");
        return 0;
    }

    private static string Coord(double v) => double.IsNaN(v) ? string.Empty : v.ToString("F5", CultureInfo.InvariantCulture);
}
