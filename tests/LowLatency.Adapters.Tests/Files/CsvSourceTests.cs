using LowLatency.Adapters.Files;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;
using LowLatency.Engine.Journal;
using static LowLatency.Adapters.Tests.Files.ReplayFixtures;

namespace LowLatency.Adapters.Tests.Files;

public sealed class CsvSourceTests : IDisposable
{
    private const string Header = "kind,tx_id,event_time_ns,card_id,amount_minor,ipv4,currency,mcc,country,channel,flags,latitude,longitude,label_class,label_source";

    private static readonly CsvMapping Map = new()
    {
        KindColumn = "kind",
        Transaction = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["TxId"] = "tx_id", ["EventTimeNs"] = "event_time_ns", ["CardId"] = "card_id", ["AmountMinor"] = "amount_minor", ["Ipv4"] = "ipv4",
            ["Currency"] = "currency", ["Mcc"] = "mcc", ["Country"] = "country", ["Channel"] = "channel", ["Flags"] = "flags", ["Latitude"] = "latitude", ["Longitude"] = "longitude",
        },
        Label = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["TxId"] = "tx_id", ["LabelTimeNs"] = "event_time_ns", ["Class"] = "label_class", ["Source"] = "label_source",
        },
    };

    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A transaction row with every mapped cell valid; <paramref name="column"/> set to <paramref name="value"/>.</summary>
    private static string TransactionRow(ulong txId, string column = "", string value = "")
    {
        var cells = new Dictionary<string, string>
        {
            ["kind"] = "transaction", ["tx_id"] = txId.ToString(System.Globalization.CultureInfo.InvariantCulture), ["event_time_ns"] = "1700000000000000000",
            ["card_id"] = "42", ["amount_minor"] = "1250", ["ipv4"] = "3232235777", ["currency"] = "978", ["mcc"] = "5411", ["country"] = "276",
            ["channel"] = "Ecommerce", ["flags"] = "5", ["latitude"] = "52.5", ["longitude"] = "13.4", ["label_class"] = string.Empty, ["label_source"] = string.Empty,
        };
        if (column.Length > 0)
        {
            cells[column] = value;
        }

        return string.Join(',', Header.Split(',').Select(c => cells[c]));
    }

    private string Write(params string[] lines)
    {
        string path = Path.Combine(_dir, $"{Guid.NewGuid():N}.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>
    /// Every message the source yields, decoded, with the source's malformed count and first reason. Only the SBE block is
    /// checked here: the codec's value checks (unknown flag bits, say) are the pipeline's, after the reader.
    /// </summary>
    private static (List<Transaction> Transactions, List<Label> Labels, long Malformed, string? FirstError) ReadAll(string path, CsvMapping map)
    {
        using var source = new CsvSource(path, map);
        var transactions = new List<Transaction>();
        var labels = new List<Label>();
        while (source.TryNext(out var m))
        {
            if (m.Type == JournalRecordType.Label)
            {
                Assert.Equal(DecodeStatus.Ok, LabelCodec.Decode(m.Bytes, out var label, out _));
                labels.Add(label);
            }
            else
            {
                Assert.Equal(JournalRecordType.Transaction, m.Type);
                var status = TransactionCodec.Decode(m.Bytes, out var tx, out _);
                Assert.True(status is DecodeStatus.Ok or DecodeStatus.UnknownFlags, status.ToString());
                transactions.Add(tx);
            }
        }

        return (transactions, labels, source.Malformed, source.FirstError);
    }

    [Fact]
    public void A_valid_row_is_read_field_for_field()
    {
        var (transactions, _, malformed, firstError) = ReadAll(Write(Header, TransactionRow(7)), Map);
        Assert.Equal(0, malformed);
        Assert.Null(firstError);
        var tx = Assert.Single(transactions);
        Assert.Equal(DecodeStatus.Ok, TransactionCodec.Validate(ref tx, WireSchema.Version));
        Assert.Equal(
            (7UL, 1700000000000000000L, 42UL, 1250L, 3232235777U, (ushort)978, (ushort)5411, (ushort)276, Channel.Ecommerce, (TransactionFlags)5, 52.5, 13.4),
            (tx.TxId, tx.EventTimeNs, tx.CardId, tx.AmountMinor, tx.Ipv4, tx.Currency, tx.Mcc, tx.Country, tx.Channel, tx.Flags, tx.Latitude, tx.Longitude));
    }

    [Theory]
    [InlineData("currency", "99999", "currency 99999 is out of range 0..65535")]
    [InlineData("currency", "65536", "currency 65536 is out of range 0..65535")]
    [InlineData("currency", "-1", "currency -1 is out of range 0..65535")]
    [InlineData("mcc", "70000", "mcc 70000 is out of range 0..65535")]
    [InlineData("country", "65536", "country 65536 is out of range 0..65535")]
    [InlineData("ipv4", "4294967296", "ipv4 4294967296 is out of range 0..4294967295")]
    [InlineData("flags", "257", "flags 257 is out of range 0..255")]
    [InlineData("flags", "256", "flags 256 is out of range 0..255")]
    [InlineData("tx_id", "18446744073709551616", "tx_id 18446744073709551616 is out of range 0..18446744073709551615")]
    [InlineData("event_time_ns", "9223372036854775808", "event_time_ns 9223372036854775808 is out of range -9223372036854775808..9223372036854775807")]
    [InlineData("currency", "12x", "currency '12x' is not an integer")]
    [InlineData("channel", "300", "channel '300' is not a Channel")]
    public void A_value_outside_its_field_is_a_malformed_row_naming_line_column_and_value(string column, string value, string reason)
    {
        string path = Write(Header, TransactionRow(1), TransactionRow(2, column, value), TransactionRow(3));
        var (transactions, _, malformed, firstError) = ReadAll(path, Map);
        Assert.Equal(1, malformed);
        Assert.Equal($"line 3: {reason}", firstError);
        Assert.Equal([1UL, 3UL], transactions.Select(t => t.TxId));
    }

    [Fact]
    public void Values_at_the_top_of_each_narrow_field_are_kept_exactly()
    {
        string path = Write(
            Header,
            TransactionRow(1, "currency", "65535"),
            TransactionRow(2, "mcc", "65535"),
            TransactionRow(3, "country", "65535"),
            TransactionRow(4, "ipv4", "4294967295"),
            TransactionRow(5, "flags", "255"));
        var (t, _, malformed, firstError) = ReadAll(path, Map);
        Assert.True(malformed == 0, firstError);
        Assert.Equal((ushort.MaxValue, ushort.MaxValue, ushort.MaxValue, uint.MaxValue, (TransactionFlags)byte.MaxValue), (t[0].Currency, t[1].Mcc, t[2].Country, t[3].Ipv4, t[4].Flags));
    }

    [Fact]
    public void Only_the_first_reason_is_kept_and_every_bad_row_is_counted()
    {
        string path = Write(Header, TransactionRow(1, "flags", "257"), TransactionRow(2), TransactionRow(3, "mcc", "70000"));
        var (transactions, _, malformed, firstError) = ReadAll(path, Map);
        Assert.Equal(2, malformed);
        Assert.Equal("line 2: flags 257 is out of range 0..255", firstError);
        Assert.Equal(2UL, Assert.Single(transactions).TxId);
    }

    [Theory]
    [InlineData("label_class", "256", "label_class '256' is not a LabelClass")]
    [InlineData("event_time_ns", "-9223372036854775809", "event_time_ns -9223372036854775809 is out of range -9223372036854775808..9223372036854775807")]
    public void A_label_row_with_a_value_outside_its_field_is_malformed(string column, string value, string reason)
    {
        var cells = new Dictionary<string, string> { ["kind"] = "label", ["tx_id"] = "1", ["event_time_ns"] = "1700000000000000000", ["label_class"] = "Fraud", ["label_source"] = string.Empty };
        string Label(string c, string v)
        {
            var row = new Dictionary<string, string>(cells) { [c] = v };
            return string.Join(',', Header.Split(',').Select(h => row.GetValueOrDefault(h, string.Empty)));
        }

        var (_, labels, malformed, firstError) = ReadAll(Write(Header, Label("tx_id", "1"), Label(column, value)), Map);
        Assert.Equal(1, malformed);
        Assert.Equal($"line 3: {reason}", firstError);
        Assert.Equal(LabelClass.Fraud, Assert.Single(labels).Class);
    }

    [Fact]
    public void A_row_of_unknown_kind_is_malformed_and_not_decided_as_a_transaction()
    {
        string bogus = TransactionRow(2).Replace("transaction,", "bogus,", StringComparison.Ordinal);
        var (transactions, labels, malformed, firstError) = ReadAll(Write(Header, TransactionRow(1), bogus, TransactionRow(3)), Map);
        Assert.Equal(1, malformed);
        Assert.Equal("line 3: unknown kind 'bogus' (expected 'transaction' or 'label')", firstError);
        Assert.Equal([1UL, 3UL], transactions.Select(t => t.TxId));
        Assert.Empty(labels);
    }

    [Fact]
    public void An_empty_kind_is_an_unknown_kind()
    {
        string empty = TransactionRow(2).Replace("transaction,", ",", StringComparison.Ordinal);
        var (transactions, _, malformed, firstError) = ReadAll(Write(Header, empty), Map);
        Assert.Equal(1, malformed);
        Assert.Equal("line 2: unknown kind '' (expected 'transaction' or 'label')", firstError);
        Assert.Empty(transactions);
    }

    [Fact]
    public void Kinds_match_without_regard_to_case()
    {
        string upper = TransactionRow(2).Replace("transaction,", "TRANSACTION,", StringComparison.Ordinal);
        var (transactions, _, malformed, firstError) = ReadAll(Write(Header, upper), Map);
        Assert.True(malformed == 0, firstError);
        Assert.Equal(2UL, Assert.Single(transactions).TxId);
    }

    [Fact]
    public void Without_a_kind_column_every_row_is_a_transaction_whatever_its_kind_cell_says()
    {
        string bogus = TransactionRow(2).Replace("transaction,", "bogus,", StringComparison.Ordinal);
        var (transactions, labels, malformed, firstError) = ReadAll(Write(Header, bogus), Map with { KindColumn = null });
        Assert.True(malformed == 0, firstError);
        Assert.Equal(2UL, Assert.Single(transactions).TxId);
        Assert.Empty(labels);
    }

    [Fact]
    public void A_short_row_names_the_missing_column()
    {
        var (transactions, _, malformed, firstError) = ReadAll(Write(Header, "transaction,1,1700000000000000000,42"), Map);
        Assert.Equal(1, malformed);
        Assert.Equal("line 2: amount_minor is missing (the row has 4 fields)", firstError);
        Assert.Empty(transactions);
    }
}
