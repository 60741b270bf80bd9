using LowLatency.Adapters.Gateway;

namespace LowLatency.Adapters.Tests.Gateway;

public sealed class PendingDecisionsTests
{
    [Fact]
    public void Random_adds_takes_and_removes_agree_with_a_dictionary_of_the_latest_entry_per_slot()
    {
        var rng = new Random(3);
        var table = new PendingDecisions(64);
        var reference = new Dictionary<int, (ulong TxId, long Ticks)>(); // slot → live entry
        long overwritten = 0;
        for (int i = 0; i < 200_000; i++)
        {
            ulong txId = (ulong)rng.Next(0, 1000);
            int slot = (int)(txId & 63);
            switch (rng.Next(3))
            {
                case 0:
                    long ticks = rng.NextInt64();
                    overwritten += reference.ContainsKey(slot) ? 1 : 0;
                    table.Add(txId, ticks);
                    reference[slot] = (txId, ticks);
                    break;
                case 1:
                    bool expected = reference.TryGetValue(slot, out var e) && e.TxId == txId;
                    Assert.Equal(expected, table.TryTake(txId, out long got));
                    if (expected)
                    {
                        Assert.Equal(e.Ticks, got);
                        reference.Remove(slot);
                    }

                    break;
                default:
                    table.Remove(txId);
                    if (reference.TryGetValue(slot, out var r) && r.TxId == txId)
                    {
                        reference.Remove(slot);
                    }

                    break;
            }
        }

        Assert.Equal(overwritten, table.Overwritten);
    }

    [Fact]
    public void A_sender_and_a_receiver_thread_match_every_transaction_exactly_once()
    {
        var table = new PendingDecisions(1 << 10);
        const int N = 200_000;
        long matched = 0;
        long inFlight = 0;
        var receiver = new Thread(() =>
        {
            // Decisions come back in order, at most 512 behind the sender (less than the capacity).
            for (ulong tx = 1; tx <= N; tx++)
            {
                while (Volatile.Read(ref inFlight) < (long)tx)
                {
                    Thread.Yield();
                }

                Assert.True(table.TryTake(tx, out long ticks));
                Assert.Equal((long)tx * 7, ticks);
                Assert.False(table.TryTake(tx, out _)); // taken once
                matched++;
            }
        });
        receiver.Start();
        for (ulong tx = 1; tx <= N; tx++)
        {
            while ((long)tx - Interlocked.Read(ref matched) > 512)
            {
                Thread.Yield();
            }

            table.Add(tx, (long)tx * 7);
            Volatile.Write(ref inFlight, (long)tx);
        }

        Assert.True(receiver.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(N, matched);
        Assert.Equal(0, table.Overwritten);
    }
}
