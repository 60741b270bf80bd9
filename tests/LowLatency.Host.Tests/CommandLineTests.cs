using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Host.Tests;

public sealed class CommandLineTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lowlat-tests-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData("demo")]
    [InlineData("serve")]
    [InlineData("bench")]
    [InlineData("gen")]
    [InlineData("learn-eval")]
    [InlineData("models")]
    [InlineData("inspect")]
    [InlineData("replay")]
    public void Every_command_documents_its_options(string command)
    {
        var (code, output, _) = Lowlat.Run(Bound, command, "--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.Contains("--", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--rate", "-5", "--rate must be at least 1")]
    [InlineData("--duration", "soon", "is not a positive duration")]
    [InlineData("--topology", "sideways", "sideways")]
    [InlineData("--bogus", "1", "Unrecognized command or argument '--bogus'")]
    public void A_wrong_option_gets_a_clear_message_and_a_non_zero_exit(string option, string value, string message)
    {
        var (code, output, error) = Lowlat.Run(Bound, "demo", option, value);
        Assert.NotEqual(0, code);
        Assert.Contains(message, output + error, StringComparison.Ordinal);
    }

    /// <summary>
    /// Output paths are checked before any work: an output naming the input (it used to be overwritten while being read,
    /// and the run still exited 0), a directory given for a file, a file given for a directory, a path below a file.
    /// </summary>
    [Fact]
    public void Outputs_that_cannot_be_written_or_would_overwrite_the_input_are_refused_before_any_work()
    {
        string input = Path.Combine(_dir.FullName, "in.bin");
        Assert.Equal(0, Lowlat.Run(Bound, "gen", "--out", input, "--events", "2000").ExitCode);
        byte[] before = File.ReadAllBytes(input);
        string below = Path.Combine(input, "x.csv");
        (string[] Args, string Message)[] cases =
        [
            (["replay", input, "--decisions", input], "--decisions: " + input + " is the input"),
            (["features", "export", input, "--out", input], "--out: " + input + " is the input"),
            (["replay", input, "--report", _dir.FullName], "--report: " + _dir.FullName + " is a directory"),
            (["replay", input, "--state-out", below], "--state-out: " + input + " is a file, not a directory"),
            (["replay", input, "--journal", input], "--journal: " + input + " is a file, not a directory"),
            (["learn-eval", "--out", input], "--out: " + input + " is a file, not a directory"),
            (["gen", "--out", below], "--out: " + input + " is a file, not a directory"),
            (["replay", input, "--card-capacity", "7"], "--card-capacity must be at least 8"),
        ];
        foreach (var (args, message) in cases)
        {
            var (code, output, error) = Lowlat.Run(Bound, args);
            Assert.True(code == 1, $"{string.Join(' ', args)}: exit {code}\n{output}{error}");
            Assert.Contains(message, output + error, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", output + error, StringComparison.Ordinal);
        }

        Assert.Equal(before, File.ReadAllBytes(input));
        Assert.Empty(Directory.GetFiles(_dir.FullName, ".lowlat-write-check-*"));
    }

    /// <summary>
    /// Replay's input problems named as what they are: a missing input (it was called "not a journal, frames file or
    /// capture"), CSV asked for without a mapping, and a pacing factor so small that the pacing arithmetic overflowed and
    /// the replay ran at full speed instead.
    /// </summary>
    [Fact]
    public void Replay_names_a_missing_input_a_csv_without_mapping_and_an_unusable_speed()
    {
        string input = Path.Combine(_dir.FullName, "in.bin");
        Assert.Equal(0, Lowlat.Run(Bound, "gen", "--out", input, "--events", "2000").ExitCode);
        string missing = Path.Combine(_dir.FullName, "missing.bin");
        (string[] Args, int Code, string Message)[] cases =
        [
            (["replay", missing], 1, $"{missing} does not exist."),
            (["replay", input, "--format", "csv"], 1, "as CSV needs a column mapping: give --map."),
            (["replay", input, "--speed", "1e-20x"], 2, "is not max or a factor from 0.000001x to 1000000x"),
            (["replay", input, "--speed", "1e7x"], 2, "is not max or a factor from 0.000001x to 1000000x"),
        ];
        foreach (var (args, expected, message) in cases)
        {
            var (code, output, error) = Lowlat.Run(Bound, args);
            string flat = System.Text.RegularExpressions.Regex.Replace(output + error, @"\s+", " ");
            Assert.True(code == expected, $"{string.Join(' ', args)}: exit {code}\n{output}{error}");
            Assert.Contains(message, flat, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Text that is not a number, given to a numeric option that has a range check: the check used to ask for the value
    /// anyway, which threw, and the process died with SIGABRT (exit 134) and a stack trace.
    /// </summary>
    [Theory]
    [InlineData("demo", "--rate", "5k")]
    [InlineData("gen", "--seed", "abc")]
    [InlineData("replay", "--history", "20k")]
    [InlineData("replay", "--tree-weight", "half")]
    [InlineData("replay", "--trees", "1e3")]
    [InlineData("replay", "--promotion-margin", "small")]
    public void Text_given_to_a_checked_numeric_option_gets_the_parse_error_and_exit_1(string command, string option, string value)
    {
        string[] args = command == "replay" ? [command, "in.bin", option, value] : [command, option, value];
        var (code, output, error) = Lowlat.Run(Bound, args);
        Assert.Equal(1, code);
        Assert.Contains($"Cannot parse argument '{value}' for option '{option}'", output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public void Gen_writes_sbe_frames_that_the_engine_decoder_reads_back()
    {
        string file = Path.Combine(_dir.FullName, "stream.bin");
        var (code, output, error) = Lowlat.Run(Bound, "gen", "--out", file, "--events", "20000", "--cards", "5000");
        Assert.True(code == 0, output + error);
        var bytes = File.ReadAllBytes(file);
        Assert.Equal("LLFRAME1"u8.ToArray(), bytes[..8]);
        var decoder = new InboundDecoder();
        var slot = default(PipelineSlot);
        int offset = 8, frames = 0, labels = 0;
        while (offset < bytes.Length)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset));
            Assert.Equal(DecodeStatus.Ok, decoder.Decode(bytes.AsSpan(offset + 4, length), ref slot, out int consumed));
            Assert.Equal(length, consumed);
            labels += slot.Kind == MessageKind.Label ? 1 : 0;
            offset += 4 + length;
            frames++;
        }

        Assert.Equal(20_000, frames);
        Assert.InRange(labels, 1, 10_000);
    }

    [Fact]
    public void Gen_csv_has_a_header_and_one_row_per_event_with_ground_truth()
    {
        string file = Path.Combine(_dir.FullName, "stream.csv");
        var (code, _, _) = Lowlat.Run(Bound, "gen", "--out", file, "--format", "csv", "--events", "5000", "--cards", "5000");
        Assert.Equal(0, code);
        var lines = File.ReadAllLines(file);
        Assert.Equal(5001, lines.Length);
        var header = lines[0].Split(',');
        Assert.Contains("is_fraud", header);
        Assert.All(lines.Skip(1), l => Assert.Equal(header.Length, l.Split(',').Length));
    }

    [Fact]
    public void Gen_is_deterministic_for_a_seed()
    {
        string a = Path.Combine(_dir.FullName, "a.bin"), b = Path.Combine(_dir.FullName, "b.bin");
        Assert.Equal(0, Lowlat.Run(Bound, "gen", "--out", a, "--events", "5000", "--cards", "2000", "--seed", "9").ExitCode);
        Assert.Equal(0, Lowlat.Run(Bound, "gen", "--out", b, "--events", "5000", "--cards", "2000", "--seed", "9").ExitCode);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
    }

    [Fact]
    public void Bench_out_writes_the_histogram_summary_and_plots()
    {
        var (code, output, error) = Lowlat.Run(Bound, "bench", "--sweep", "2000,4000", "--duration", "1s", "--warmup", "500ms", "--out", _dir.FullName);
        Assert.True(code == 0, output + error);
        string hgrm = File.ReadAllText(Path.Combine(_dir.FullName, "latency.hgrm"));
        Assert.StartsWith("       Value     Percentile TotalCount 1/(1-Percentile)", hgrm, StringComparison.Ordinal);
        Assert.Contains("#[Max     =", hgrm, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir.FullName, "latency-2000.hgrm")));

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir.FullName, "summary.json")));
        Assert.Equal(2, summary.RootElement.GetArrayLength());
        var first = summary.RootElement[0];
        Assert.Equal(2000, first.GetProperty("offered_rate").GetInt64());
        Assert.True(first.GetProperty("count").GetInt64() > 1000);
        Assert.True(first.GetProperty("p99_us").GetDouble() >= first.GetProperty("p50_us").GetDouble());

        foreach (var svg in new[] { "latency.svg", "sweep.svg" })
        {
            var text = File.ReadAllText(Path.Combine(_dir.FullName, svg));
            var doc = System.Xml.Linq.XDocument.Parse(text); // well-formed
            Assert.Equal("svg", doc.Root!.Name.LocalName);
            Assert.Contains("<polyline", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Demo_runs_end_to_end_and_prints_a_summary_from_the_real_run()
    {
        var (code, output, error) = Lowlat.Run(Bound, "demo", "--duration", "2s", "--rate", "5000", "--cards", "20000");
        Assert.True(code == 0, output + error);
        Assert.Contains("Summary", output, StringComparison.Ordinal);
        var decided = System.Text.RegularExpressions.Regex.Match(output, @"Transactions decided\s*│\s*([\d,]+)");
        Assert.True(decided.Success, output);
        long n = long.Parse(decided.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.InRange(n, 5_000, 10_500); // about 2 s × 5,000/s, minus the labels in the stream
        Assert.Contains("Fraud caught by pattern", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_runs_the_orders_flow_with_the_orders_spec_and_reports_spoofing()
    {
        var (code, output, error) = Lowlat.Run(Bound, "demo", "--flow", "orders", "--duration", "2s", "--rate", "5000");
        Assert.True(code == 0, output + error);
        Assert.Contains("orders flow", output, StringComparison.Ordinal);
        Assert.Contains("order features", output, StringComparison.Ordinal); // the options line names the spec's event type
        var decided = System.Text.RegularExpressions.Regex.Match(output, @"Orders decided\s*│\s*([\d,]+)");
        Assert.True(decided.Success, output);
        long n = long.Parse(decided.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.InRange(n, 5_000, 10_500); // every order message is decided
        var flagged = System.Text.RegularExpressions.Regex.Match(output, @"│ Spoofing\s*│\s*([\d,]+)\s*│\s*([\d,]+)");
        Assert.True(flagged.Success, output);
        Assert.True(long.Parse(flagged.Groups[2].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) > 0, "no spoofing in 2 s of orders: " + output);
        Assert.DoesNotContain("CardTesting", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("udp", "Aeron UDP on loopback")]
    [InlineData("inproc", "in process")]
    public void Bench_transport_option_chooses_the_wire_or_the_ring_and_both_decide_what_was_offered(string transport, string banner)
    {
        var (code, output, error) = Lowlat.Run(Bound, "bench", "--transport", transport, "--rate", "3000", "--duration", "1s", "--warmup", "500ms", "--out", _dir.FullName);
        Assert.True(code == 0, output + error);
        Assert.Contains(banner, output, StringComparison.Ordinal);
        // Over the wire, the gateway publication's refusals are reported (they stall the driver); in process there are none.
        Assert.Equal(transport == "udp", output.Contains("Gateway publication:", StringComparison.Ordinal));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir.FullName, "summary.json")));
        Assert.InRange(summary.RootElement.GetProperty("count").GetInt64(), 1500, 3300); // ~1 s × 3,000/s minus labels
        // Over UDP the raw ping-pong floor is measured in the same run and reported beside the engine's percentiles.
        bool hasFloor = summary.RootElement.TryGetProperty("udp_floor_p50_us", out JsonElement floorP50);
        Assert.Equal(transport == "udp", hasFloor);
        Assert.Equal(transport == "udp", output.Contains("the floor", StringComparison.Ordinal));
        if (hasFloor)
        {
            Assert.InRange(floorP50.GetDouble(), 0.5, 100_000);
            Assert.True(summary.RootElement.GetProperty("udp_floor_p99_us").GetDouble() >= floorP50.GetDouble());
        }
    }

    [Fact]
    public void Bench_runs_the_minimal_feature_spec_and_refuses_a_spec_file_that_does_not_exist()
    {
        var (code, output, error) = Lowlat.Run(Bound, "bench", "--features", "minimal", "--transport", "inproc", "--rate", "2000", "--duration", "1s", "--warmup", "500ms");
        Assert.True(code == 0, output + error);
        Assert.Contains("transaction features over 1 entity types", output, StringComparison.Ordinal);
        (code, output, error) = Lowlat.Run(Bound, "bench", "--features", Path.Combine(_dir.FullName, "absent.json"), "--rate", "2000", "--duration", "1s");
        Assert.Equal(2, code);
        Assert.Contains("absent.json", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_rejects_an_unknown_transport()
    {
        var (code, output, error) = Lowlat.Run(Bound, "bench", "--transport", "carrier-pigeon");
        Assert.NotEqual(0, code);
        Assert.Contains("carrier-pigeon", output + error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1-10", new ulong[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 })]
    [InlineData("1,7,42", new ulong[] { 1, 7, 42 })]
    [InlineData(" 3 , 4,3", new ulong[] { 3, 4 })]
    public void Learn_eval_seeds_are_a_range_or_a_list(string text, ulong[] want)
    {
        Assert.True(LearnEvalCommand.TryParseSeeds(text, out var seeds));
        Assert.Equal(want, seeds);
    }

    [Theory]
    [InlineData("7")]
    [InlineData("10-1")]
    [InlineData("1-x")]
    [InlineData("1,,2")]
    [InlineData("-3")]
    [InlineData("4,4")]
    public void Learn_eval_refuses_seeds_that_are_not_two_or_more(string text)
    {
        Assert.False(LearnEvalCommand.TryParseSeeds(text, out _));
        var (code, output, error) = Lowlat.Run(Bound, "learn-eval", "--out", Path.Combine(_dir.FullName, "le"), "--seeds", text);
        Assert.Equal(2, code);
        Assert.Contains("--seeds", output + error, StringComparison.Ordinal);
    }
}
