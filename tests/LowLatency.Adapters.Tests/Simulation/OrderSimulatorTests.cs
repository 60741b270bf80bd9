using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Tests.Simulation;

public class OrderSimulatorTests
{
    private static List<(Order Order, OrderGroundTruth Truth)> Run(OrderSimulatorOptions o, int n)
    {
        var sim = new OrderSimulator(o);
        var list = new List<(Order, OrderGroundTruth)>(n);
        Order order = default;
        for (int i = 0; i < n; i++)
        {
            sim.Next(ref order, out var truth);
            list.Add((order, truth));
        }

        return list;
    }

    [Fact]
    public void Same_seed_gives_the_same_stream_and_another_seed_does_not()
    {
        var a = Run(new OrderSimulatorOptions { Seed = 3 }, 300_000);
        var b = Run(new OrderSimulatorOptions { Seed = 3 }, 300_000);
        var c = Run(new OrderSimulatorOptions { Seed = 4 }, 300_000);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Next_allocates_nothing_and_time_never_goes_backwards()
    {
        var sim = new OrderSimulator(new OrderSimulatorOptions { Seed = 1, SpoofingRate = 0.01 });
        Order order = default;
        for (int i = 0; i < 200_000; i++)
        {
            sim.Next(ref order, out _);
        }

        long last = order.EventTimeNs;
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool monotone = true;
        for (int i = 0; i < 1_000_000; i++)
        {
            sim.Next(ref order, out _);
            monotone &= order.EventTimeNs >= last;
            last = order.EventTimeNs;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(monotone);
        Assert.Equal(0, sim.Dropped);
    }

    [Fact]
    public void Cancels_and_fills_refer_to_orders_placed_earlier_by_the_same_account()
    {
        var placed = new Dictionary<ulong, Order>();
        foreach (var (o, _) in Run(new OrderSimulatorOptions { Seed = 8, SpoofingRate = 0.005 }, 300_000))
        {
            if (o.Action == OrderAction.New)
            {
                Assert.True(placed.TryAdd(o.OrderId, o), "order ids are unique");
            }
            else
            {
                Assert.True(placed.TryGetValue(o.OrderId, out var n), $"{o.Action} of unknown order");
                Assert.Equal(n.AccountId, o.AccountId);
                Assert.Equal(n.InstrumentId, o.InstrumentId);
                Assert.Equal(n.Side, o.Side);
                Assert.True(o.EventTimeNs >= n.EventTimeNs);
            }
        }
    }

    [Fact]
    public void Spoofing_layers_large_orders_behind_the_touch_gets_a_fill_on_the_other_side_then_cancels_the_layers()
    {
        var stream = Run(new OrderSimulatorOptions { Seed = 5, SpoofingRate = 0.002 }, 500_000);
        var ordinaryQty = stream.Where(e => !e.Truth.IsAbusive && e.Order.Action == OrderAction.New)
            .Select(e => e.Order.Quantity).OrderBy(q => q).ToArray();
        long q95 = ordinaryQty[(int)(0.95 * (ordinaryQty.Length - 1))];
        var episodes = stream.Where(e => e.Truth.IsAbusive).GroupBy(e => e.Truth.EpisodeId).ToList();
        Assert.True(episodes.Count >= 50, $"{episodes.Count} episodes");
        int complete = 0;
        long endNs = stream[^1].Order.EventTimeNs;
        var filled = stream.Where(e => e.Order.Action == OrderAction.Fill).Select(e => e.Order.OrderId).ToHashSet();
        // Episodes that began in the last five seconds may be cut off by the end of the capture.
        foreach (var ep in episodes.Where(g => g.Min(e => e.Order.EventTimeNs) < endNs - 5_000_000_000L))
        {
            var events = ep.Select(e => e.Order).ToList();
            Assert.Single(events.Select(o => o.AccountId).Distinct());
            Assert.Single(events.Select(o => o.InstrumentId).Distinct());
            var layerNew = ep.Where(e => e.Truth.Leg == OrderLeg.Layer && e.Order.Action == OrderAction.New).Select(e => e.Order).ToList();
            var layerCancel = ep.Where(e => e.Truth.Leg == OrderLeg.Layer && e.Order.Action == OrderAction.Cancel).Select(e => e.Order).ToList();
            var fill = ep.Single(e => e.Truth.Leg == OrderLeg.Execution && e.Order.Action == OrderAction.Fill).Order;
            Assert.InRange(layerNew.Count, 5, 15);
            Assert.Single(layerNew.Select(o => o.Side).Distinct());
            Side layerSide = layerNew[0].Side;
            Assert.NotEqual(layerSide, fill.Side);
            // Large: most layers bigger than 95% of ordinary orders.
            Assert.True(layerNew.Count(o => o.Quantity > q95) >= 0.6 * layerNew.Count, "large layers");
            // Behind the touch: a buy layer is priced below the price the sell execution got (and vice versa).
            Assert.All(layerNew, o => Assert.True(layerSide == Side.Buy ? o.PriceE8 < fill.PriceE8 : o.PriceE8 > fill.PriceE8));
            // Every layer cancelled, after the fill, within seconds of being placed; none ever filled.
            Assert.Equal(layerNew.Select(o => o.OrderId).Order(), layerCancel.Select(o => o.OrderId).Order());
            var placedAt = layerNew.ToDictionary(o => o.OrderId, o => o.EventTimeNs);
            Assert.All(layerCancel, c =>
            {
                Assert.True(c.EventTimeNs > fill.EventTimeNs);
                Assert.True(c.EventTimeNs - placedAt[c.OrderId] < 5_000_000_000L);
            });
            Assert.DoesNotContain(layerNew, o => filled.Contains(o.OrderId));
            complete++;
        }

        Assert.True(complete >= 50 && complete >= episodes.Count - 150, $"{complete} of {episodes.Count} checked");
    }

    [Fact]
    public void Bad_options_are_rejected_with_the_option_named()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new OrderSimulator(new OrderSimulatorOptions { EventsPerSecond = 0 }));
        Assert.Equal(nameof(OrderSimulatorOptions.EventsPerSecond), ex.ParamName);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => new OrderSimulator(new OrderSimulatorOptions { CancelShare = 0.9, FillShare = 0.2 }));
        Assert.Equal(nameof(OrderSimulatorOptions.FillShare), ex.ParamName);
    }
}
