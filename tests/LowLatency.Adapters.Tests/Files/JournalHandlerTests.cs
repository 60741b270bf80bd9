using System.Diagnostics;
using LowLatency.Adapters.Files;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Journal;
using LowLatency.Engine.Pipeline;
using static LowLatency.Adapters.Tests.Files.ReplayFixtures;

namespace LowLatency.Adapters.Tests.Files;

public sealed class JournalHandlerTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Journaling_a_slot_allocates_nothing_in_steady_state_and_skips_decode_rejects()
    {
        var messages = SimulatedMessages(20_000, seed: 9);
        var slots = new PipelineSlot[messages.Count];
        var decoder = new InboundDecoder();
        for (int i = 0; i < slots.Length; i++)
        {
            decoder.Decode(messages[i], ref slots[i], out _);
            slots[i].IngestTicks = Stopwatch.GetTimestamp();
        }

        slots[123].Kind = MessageKind.None; // a decode reject
        using var writer = JournalWriter.Open(new JournalOptions { Directory = _dir, Durability = JournalDurability.Batch });
        var attachment = new JournalAttachment<SbeJournalEncoder>(writer, default);
        var handler = new JournalHandler<SbeJournalEncoder>(writer, default, attachment.Counters);
        for (int i = 0; i < 1000; i++)
        {
            handler.OnEvent(ref slots[i], i, (i & 15) == 15);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 1000; i < slots.Length; i++)
        {
            handler.OnEvent(ref slots[i], i, (i & 15) == 15);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1, attachment.Counters.Skipped);
        writer.Dispose();

        // Every journaled payload is the message that was fed (the encoder round-trips), at its ring sequence.
        using var reader = JournalReader.Open(_dir);
        int expected = 0;
        while (reader.TryRead(out var r))
        {
            if (expected == 123)
            {
                expected++;
            }

            Assert.Equal(expected, r.Sequence);
            Assert.True(r.Payload.SequenceEqual(messages[expected]), $"record {expected} differs from the message fed");
            expected++;
        }

        Assert.Equal(messages.Count, expected);
    }
}
