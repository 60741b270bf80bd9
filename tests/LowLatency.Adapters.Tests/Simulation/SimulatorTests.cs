using System.IO.Hashing;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Tests.Simulation;

public class SimulatorTests
{
    private static readonly SimulatorOptions Small = new() { Cards = 20_000, Merchants = 3_000, Seed = 7 };

    /// <summary>Two and a half simulated hours of stream: past the spike (60–80 min) and the drift (90 min).</summary>
    private static readonly Lazy<List<SimEvent>> Stream = new(() => Generate(Small, 1_200_000));

    private static List<SimEvent> Generate(SimulatorOptions options, int count)
    {
        var sim = new PaymentSimulator(options);
        var list = new List<SimEvent>(count);
        var e = default(SimEvent);
        for (int i = 0; i < count; i++)
        {
            sim.Next(ref e);
            list.Add(e);
        }

        return list;
    }

    private static ulong Hash(SimulatorOptions options, int count)
    {
        var sim = new PaymentSimulator(options);
        var e = default(SimEvent);
        var hash = new XxHash64();
        for (int i = 0; i < count; i++)
        {
            sim.Next(ref e);
            hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<SimEvent>(in e)));
        }

        return hash.GetCurrentHashAsUInt64();
    }

    private static IEnumerable<(Transaction Tx, GroundTruth Truth)> Transactions => Stream.Value.Where(e => e.Kind == SimEventKind.Transaction).Select(e => (e.Transaction, e.Truth));

    [Fact]
    public void The_same_seed_gives_the_same_stream_byte_for_byte_and_another_seed_does_not()
    {
        var a = Hash(Small, 1_000_000);
        Assert.Equal(a, Hash(Small, 1_000_000));
        Assert.NotEqual(a, Hash(Small with { Seed = 8 }, 1_000_000));
    }

    [Fact]
    public void Events_come_in_event_time_order()
    {
        long last = long.MinValue;
        foreach (var e in Stream.Value)
        {
            Assert.True(e.EventTimeNs >= last);
            last = e.EventTimeNs;
        }
    }

    [Fact]
    public void Fraud_is_a_small_share_and_every_pattern_occurs()
    {
        var txs = Transactions.ToList();
        double rate = txs.Count(t => t.Truth.IsFraud) / (double)txs.Count;
        Assert.InRange(rate, 0.002, 0.02);
        // Spoofing belongs to the orders flow (OrderSimulatorTests); the payment stream must never produce it.
        foreach (var p in Enum.GetValues<FraudPattern>().Where(p => p is not FraudPattern.None and not FraudPattern.Spoofing))
        {
            Assert.True(txs.Count(t => t.Truth.Pattern == p) > 20, $"{p} occurs too rarely");
        }

        Assert.DoesNotContain(txs, t => t.Truth.Pattern == FraudPattern.Spoofing);
    }

    [Fact]
    public void Card_testing_is_bursts_of_small_online_amounts_across_many_merchants()
    {
        var bursts = Transactions.Where(t => t.Truth.Pattern == FraudPattern.CardTesting).GroupBy(t => t.Tx.CardId).ToList();
        Assert.NotEmpty(bursts);
        foreach (var burst in bursts)
        {
            Assert.All(burst, t => Assert.True(t.Tx.AmountMinor <= 300 && t.Tx.Channel is Channel.Ecommerce or Channel.InApp));
        }

        // Most bursts: at least 8 payments at 5+ distinct merchants with a median gap under a minute.
        var typical = bursts.Where(b => b.Count() >= 8).ToList();
        Assert.True(typical.Count >= bursts.Count / 2);
        Assert.All(typical, b =>
        {
            Assert.True(b.Select(t => t.Tx.MerchantId).Distinct().Count() >= 5);
            var times = b.Select(t => t.Tx.EventTimeNs).Order().ToArray();
            var gaps = times.Zip(times.Skip(1), (x, y) => y - x).Order().ToArray();
            Assert.True(gaps[gaps.Length / 2] < 60_000_000_000L, "bursts are minutes long");
        });
    }

    [Fact]
    public void Account_takeover_uses_a_device_the_card_never_used_and_a_foreign_merchant()
    {
        var devicesSeen = new Dictionary<ulong, HashSet<ulong>>();
        var homeCountry = new Dictionary<ulong, Dictionary<ushort, int>>();
        int checkedCount = 0, foreign = 0;
        foreach (var (tx, truth) in Transactions)
        {
            if (truth.Pattern == FraudPattern.AccountTakeover)
            {
                if (devicesSeen.TryGetValue(tx.CardId, out var devices) && devices.Count > 0)
                {
                    Assert.DoesNotContain(tx.DeviceId, devices);
                }

                if (homeCountry.TryGetValue(tx.CardId, out var countries) && countries.Values.Sum() >= 3)
                {
                    checkedCount++;
                    foreign += countries.MaxBy(kv => kv.Value).Key != tx.Country ? 1 : 0;
                }
            }
            else if (!truth.IsFraud)
            {
                if (tx.DeviceId != 0)
                {
                    (devicesSeen.TryGetValue(tx.CardId, out var d) ? d : devicesSeen[tx.CardId] = []).Add(tx.DeviceId);
                }

                var c = homeCountry.TryGetValue(tx.CardId, out var cc) ? cc : homeCountry[tx.CardId] = [];
                c[tx.Country] = c.GetValueOrDefault(tx.Country) + 1;
            }
        }

        Assert.True(checkedCount > 10);
        Assert.True(foreign >= checkedCount * 0.9, $"{foreign} of {checkedCount} takeovers abroad");
    }

    [Fact]
    public void Impossible_travel_implies_a_speed_no_traveller_reaches()
    {
        // Measured from the cardholder's last genuine in-person payment (a counterfeit used twice in the far
        // city is close to its own previous use, and that is fine).
        var lastPresent = new Dictionary<ulong, Transaction>();
        int checkedCount = 0;
        foreach (var (tx, truth) in Transactions)
        {
            if (!tx.Flags.HasFlag(TransactionFlags.CardPresent))
            {
                continue;
            }

            if (truth.IsFraud && truth.Pattern != FraudPattern.ImpossibleTravel)
            {
                continue;
            }

            if (truth.Pattern == FraudPattern.ImpossibleTravel && lastPresent.TryGetValue(tx.CardId, out var prev))
            {
                double hours = (tx.EventTimeNs - prev.EventTimeNs) / 3.6e12;
                double km = Geo.HaversineKm(prev.Latitude, prev.Longitude, tx.Latitude, tx.Longitude);
                if (km > 0)
                {
                    checkedCount++;
                    Assert.True(km / hours > 1000 || km < 1, $"{km:F0} km in {hours:F2} h: prev {prev.TxId} {prev.Country} {prev.Mcc} {prev.Latitude},{prev.Longitude} now {tx.TxId} {tx.Country} {tx.Mcc} {tx.Latitude},{tx.Longitude}");
                }
            }

            if (!truth.IsFraud)
            {
                lastPresent[tx.CardId] = tx;
            }
        }

        Assert.True(checkedCount > 20);
    }

    [Fact]
    public void Compromised_merchant_fraud_hits_cards_that_shared_a_merchant_before()
    {
        var visits = new Dictionary<ulong, List<(ulong Merchant, long Time)>>();
        var victims = new List<(ulong Card, long Time)>();
        foreach (var (tx, truth) in Transactions)
        {
            if (truth.Pattern == FraudPattern.CompromisedMerchant)
            {
                victims.Add((tx.CardId, tx.EventTimeNs));
            }
            else if (!truth.IsFraud)
            {
                (visits.TryGetValue(tx.CardId, out var v) ? v : visits[tx.CardId] = []).Add((tx.MerchantId, tx.EventTimeNs));
            }
        }

        var firstHit = victims.GroupBy(v => v.Card).Select(g => (Card: g.Key, Time: g.Min(x => x.Time))).ToList();
        Assert.True(firstHit.Count >= 10);
        // Every victim paid somewhere before; the common points of purchase explain many victims at once.
        var prior = firstHit.ToDictionary(v => v.Card, v => visits.GetValueOrDefault(v.Card, []).Where(x => x.Time < v.Time).Select(x => x.Merchant).ToHashSet());
        Assert.All(prior.Values, p => Assert.NotEmpty(p));
        var shared = prior.Values.SelectMany(p => p).GroupBy(m => m).Select(g => g.Count()).Max();
        Assert.True(shared >= 3, $"the most shared prior merchant was visited by {shared} victims");
    }

    [Fact]
    public void The_new_pattern_appears_only_after_the_drift_point()
    {
        long drift = Small.StartTimeNs + (Small.DriftAt.Ticks * 100);
        var crypto = Transactions.Where(t => t.Truth.Pattern == FraudPattern.AppCryptoEscalation).ToList();
        Assert.NotEmpty(crypto);
        Assert.All(crypto, t => Assert.True(t.Tx.EventTimeNs >= drift));
        Assert.All(crypto, t => Assert.Equal((Channel.InApp, (ushort)6051), (t.Tx.Channel, t.Tx.Mcc)));
    }

    [Fact]
    public void Traffic_during_the_spike_is_several_times_the_traffic_just_before()
    {
        long start = Small.StartTimeNs + (Small.SpikeAt.Ticks * 100);
        long length = Small.SpikeDuration.Ticks * 100;
        var times = Transactions.Where(t => !t.Truth.IsFraud).Select(t => t.Tx.EventTimeNs).ToArray();
        long during = times.Count(t => t >= start && t < start + length);
        long before = times.Count(t => t >= start - length && t < start);
        // Spike ×4, but the hour after midnight is quieter than the one before (0.18 vs 0.25 of the daily mean).
        Assert.True(during > 2 * before, $"{during} during vs {before} before");
    }

    [Fact]
    public void Labels_follow_their_transactions_and_match_the_ground_truth()
    {
        var truth = new Dictionary<ulong, (long Time, bool Fraud)>();
        var labelled = new HashSet<ulong>();
        var reportDelays = new List<double>();
        foreach (var e in Stream.Value)
        {
            if (e.Kind == SimEventKind.Transaction)
            {
                truth[e.Transaction.TxId] = (e.Transaction.EventTimeNs, e.Truth.IsFraud);
                continue;
            }

            Assert.True(truth.TryGetValue(e.Label.TxId, out var t), "label for an unknown transaction");
            Assert.True(e.Label.LabelTimeNs >= t.Time);
            Assert.Equal(t.Fraud, e.Label.Class == LabelClass.Fraud);
            Assert.True(labelled.Add(e.Label.TxId), "two labels for one transaction");
            if (e.Label.Source == LabelSource.CustomerReport)
            {
                reportDelays.Add((e.Label.LabelTimeNs - t.Time) / 60e9);
            }
        }

        Assert.True(reportDelays.Count > 100);
        double median = reportDelays.Order().ElementAt(reportDelays.Count / 2);
        // 1 minute + exponential(10 min): median 1 + 10·ln 2 ≈ 7.9 minutes (labels still pending at the end bias it down a little).
        Assert.InRange(median, 5, 11);
    }

    [Fact]
    public void Card_popularity_is_skewed()
    {
        var counts = Transactions.Where(t => !t.Truth.IsFraud).GroupBy(t => t.Tx.CardId).Select(g => g.Count()).OrderDescending().ToArray();
        long total = counts.Sum(c => (long)c);
        long top = counts.Take(Small.Cards / 100).Sum(c => (long)c);
        Assert.True(top > total * 0.2, $"top 1% of cards carry {100.0 * top / total:F1}%");
    }

    [Fact]
    public void Steady_state_generation_allocates_nothing()
    {
        var sim = new PaymentSimulator(Small);
        var e = default(SimEvent);
        for (int i = 0; i < 300_000; i++)
        {
            sim.Next(ref e);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 300_000; i++)
        {
            sim.Next(ref e);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Bad_options_are_refused_with_a_message_naming_the_option()
    {
        var ex = Assert.Throws<ArgumentException>(() => new PaymentSimulator(new SimulatorOptions { TransactionsPerSimSecond = 0 }));
        Assert.Contains("TransactionsPerSimSecond", ex.Message, StringComparison.Ordinal);
    }
}
