using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Simulation;

/// <summary>
/// Seeded, deterministic order flow for the trading side: Zipf-active accounts and instruments, a random-walk
/// price per instrument, orders near the touch with log-normal sizes and algorithmic bursts, later cancels and
/// fills, and spoofing episodes with ground truth. Allocation-free per event; never reads the wall clock.
/// </summary>
public sealed class OrderSimulator
{
    private const long NsPerMs = 1_000_000L;
    private const long TickE8 = 1_000_000L; // one cent

    private readonly OrderSimulatorOptions _options;
    private Xoshiro256 _rng;
    private readonly AliasTable _accountAlias;
    private readonly AliasTable _instrumentAlias;
    private readonly ulong[] _accountIds;
    private readonly long[] _bidTicks;          // best bid per instrument in ticks; the ask is one tick above
    private readonly ScheduleHeap<Pending> _pending;
    private readonly long _startNs;
    private long _nextNewNs;
    private long _nowNs;
    private ulong _nextOrderId = 1;
    private long _seq;
    private uint _nextEpisode = 1;
    private long _dropped;
    private long _events;

    private struct Pending : IScheduled
    {
        public long Time;
        public long Sequence;
        public ulong OrderId;
        public ulong Account;
        public long PriceE8;
        public long Quantity;
        public int Instrument;
        public uint Episode;
        public ushort Venue;
        public Side Side;
        public OrderAction Action;
        public OrderPattern Pattern;
        public OrderLeg Leg;

        public readonly long TimeNs => Time;

        public readonly long Seq => Sequence;
    }

    /// <summary>Builds accounts, instruments and the calendar; throws on bad options.</summary>
    public OrderSimulator(OrderSimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _rng = new Xoshiro256(options.Seed ^ 0x0DE5_0DE5_0DE5_0DE5UL);
        _accountAlias = AliasTable.Zipf(options.Accounts, 1.0);
        _instrumentAlias = AliasTable.Zipf(options.Instruments, 0.8);
        _accountIds = new ulong[options.Accounts];
        for (int i = 0; i < _accountIds.Length; i++)
        {
            _accountIds[i] = 10_000 + (ulong)i;
        }

        _bidTicks = new long[options.Instruments];
        for (int i = 0; i < _bidTicks.Length; i++)
        {
            _bidTicks[i] = 1_000 + _rng.Next(49_000); // $10 to $500
        }

        _pending = new ScheduleHeap<Pending>(options.PendingCapacity);
        _startNs = (options.Start - DateTime.UnixEpoch).Ticks * 100;
        _nowNs = _startNs;
        _nextNewNs = _startNs + Gap();
    }

    /// <summary>Event time of the start (ns since the Unix epoch).</summary>
    public long StartNs => _startNs;

    /// <summary>Event time of the last event returned.</summary>
    public long NowNs => _nowNs;

    /// <summary>Events returned so far.</summary>
    public long Events => _events;

    /// <summary>Cancels or fills lost because <see cref="OrderSimulatorOptions.PendingCapacity"/> were already waiting.</summary>
    public long Dropped => _dropped;

    /// <summary>Writes the next order event in event-time order; allocation-free.</summary>
    public void Next(ref Order order, out OrderGroundTruth truth)
    {
        _events++;
        if (_pending.PeekTime <= _nextNewNs)
        {
            Pending p = _pending.Pop();
            _nowNs = p.Time;
            order.OrderId = p.OrderId;
            order.EventTimeNs = p.Time;
            order.AccountId = p.Account;
            order.InstrumentId = (ulong)p.Instrument + 1;
            order.PriceE8 = p.PriceE8;
            order.Quantity = p.Quantity;
            order.Venue = p.Venue;
            order.Side = p.Side;
            order.Action = p.Action;
            truth = new OrderGroundTruth(p.Pattern, p.Episode, p.Leg);
            return;
        }

        long t = _nowNs = _nextNewNs;
        _nextNewNs = t + Gap();
        int instrument = _instrumentAlias.Sample(ref _rng);
        // The price drifts a tick at a time, a little on each order in the instrument.
        ulong u = _rng.NextUInt64();
        if ((u & 63) == 0)
        {
            _bidTicks[instrument] = Math.Max(100, _bidTicks[instrument] + ((u & 64) == 0 ? 1 : -1));
        }

        int account = _accountAlias.Sample(ref _rng);
        var side = (u & 128) == 0 ? Side.Buy : Side.Sell;
        NewOrdinary(ref order, t, account, instrument, side);
        truth = default;

        double r = _rng.NextDouble();
        if (r < _options.BurstProbability)
        {
            // An execution algorithm slices a parent order: more children a few milliseconds apart.
            int children = 5 + _rng.Next(16);
            long at = t;
            for (int k = 0; k < children; k++)
            {
                at += 1 + (long)(_rng.Exponential(1) * 5 * NsPerMs);
                Push(new Pending
                {
                    Time = at, OrderId = _nextOrderId++, Account = _accountIds[account], Instrument = instrument,
                    PriceE8 = Touch(instrument, side) * TickE8, Quantity = Quantity(1), Venue = (ushort)_rng.Next(_options.Venues),
                    Side = side, Action = OrderAction.New,
                });
            }
        }
        else if (r < _options.BurstProbability + _options.SpoofingRate)
        {
            StartSpoofing(t);
        }
    }

    private long Gap()
    {
        double gap = _rng.Exponential(1) * 1e9 / _options.EventsPerSecond;
        return gap < 1 ? 1 : (long)gap;
    }

    private long Touch(int instrument, Side side) => side == Side.Buy ? _bidTicks[instrument] : _bidTicks[instrument] + 1;

    private long Quantity(double scale) => Math.Max(1, (long)Math.Round(10 * scale * Math.Exp(0.8 * _rng.Normal())));

    private void Push(in Pending p)
    {
        Pending q = p;
        q.Sequence = _seq++;
        if (!_pending.TryPush(q))
        {
            _dropped++;
        }
    }

    private void NewOrdinary(ref Order order, long t, int account, int instrument, Side side)
    {
        // Most orders join or sit near the touch: geometric distance in ticks.
        int away = 0;
        while (away < 20 && _rng.NextDouble() < 0.5)
        {
            away++;
        }

        long ticks = side == Side.Buy ? Touch(instrument, side) - away : Touch(instrument, side) + away;
        order.OrderId = _nextOrderId++;
        order.EventTimeNs = t;
        order.AccountId = _accountIds[account];
        order.InstrumentId = (ulong)instrument + 1;
        order.PriceE8 = ticks * TickE8;
        order.Quantity = Quantity(1);
        order.Venue = (ushort)_rng.Next(_options.Venues);
        order.Side = side;
        order.Action = OrderAction.New;

        double fate = _rng.NextDouble();
        var next = new Pending
        {
            OrderId = order.OrderId, Account = order.AccountId, Instrument = instrument, PriceE8 = order.PriceE8,
            Quantity = order.Quantity, Venue = order.Venue, Side = side,
        };
        if (fate < _options.CancelShare)
        {
            next.Time = t + 1 + (long)(_rng.Exponential(1) * 2000 * NsPerMs);
            // One in ten "cancels" is an amendment to a tick nearer instead.
            next.Action = _rng.NextDouble() < 0.1 ? OrderAction.Replace : OrderAction.Cancel;
            if (next.Action == OrderAction.Replace)
            {
                next.PriceE8 += side == Side.Buy ? TickE8 : -TickE8;
            }

            Push(next);
        }
        else if (fate < _options.CancelShare + _options.FillShare)
        {
            next.Time = t + 1 + (long)(_rng.Exponential(1) * 1000 * NsPerMs);
            next.Action = OrderAction.Fill;
            Push(next);
        }
    }

    private void StartSpoofing(long t)
    {
        int instrument = _instrumentAlias.Sample(ref _rng);
        ulong account = _accountIds[_rng.Next(_accountIds.Length)];
        var layerSide = _rng.NextDouble() < 0.5 ? Side.Buy : Side.Sell;
        var execSide = layerSide == Side.Buy ? Side.Sell : Side.Buy;
        uint episode = _nextEpisode++;
        ushort venue = (ushort)_rng.Next(_options.Venues);
        long bid = _bidTicks[instrument];
        // The execution trades at the touch on its side; the layers rest 3–10 ticks behind the touch on theirs.
        long execTicks = execSide == Side.Sell ? bid : bid + 1;
        int layers = 5 + _rng.Next(11);
        long at = t;
        var layerIds = new LayerIds();
        for (int k = 0; k < layers; k++)
        {
            at += 1 + (long)(_rng.Exponential(1) * 30 * NsPerMs);
            int away = 3 + _rng.Next(8);
            long ticks = layerSide == Side.Buy ? bid - away : bid + 1 + away;
            ulong id = _nextOrderId++;
            long qty = Quantity(20);
            layerIds[k] = id;
            layerIds.Set(k, ticks * TickE8, qty);
            Push(new Pending
            {
                Time = at, OrderId = id, Account = account, Instrument = instrument, PriceE8 = ticks * TickE8,
                Quantity = qty, Venue = venue, Side = layerSide, Action = OrderAction.New,
                Pattern = OrderPattern.Spoofing, Episode = episode, Leg = OrderLeg.Layer,
            });
        }

        at += 1 + (long)(_rng.Exponential(1) * 100 * NsPerMs);
        ulong execId = _nextOrderId++;
        long execQty = Quantity(1);
        var exec = new Pending
        {
            Time = at, OrderId = execId, Account = account, Instrument = instrument, PriceE8 = execTicks * TickE8,
            Quantity = execQty, Venue = venue, Side = execSide, Action = OrderAction.New,
            Pattern = OrderPattern.Spoofing, Episode = episode, Leg = OrderLeg.Execution,
        };
        Push(exec);
        at += 1 + (long)(_rng.Exponential(1) * 20 * NsPerMs);
        exec.Time = at;
        exec.Action = OrderAction.Fill;
        Push(exec);

        for (int k = 0; k < layers; k++)
        {
            Push(new Pending
            {
                Time = at + 1 + (long)(_rng.Exponential(1) * 300 * NsPerMs), OrderId = layerIds[k], Account = account,
                Instrument = instrument, PriceE8 = layerIds.Price(k), Quantity = layerIds.Quantity(k), Venue = venue, Side = layerSide,
                Action = OrderAction.Cancel, Pattern = OrderPattern.Spoofing, Episode = episode, Leg = OrderLeg.Layer,
            });
        }
    }

    /// <summary>Inline buffer for an episode's layers (ids, then prices, then sizes, 16 each) so their cancels
    /// can be scheduled after the fill without allocating.</summary>
    [System.Runtime.CompilerServices.InlineArray(48)]
    private struct LayerIds
    {
        private ulong _first;

        public void Set(int k, long price, long quantity)
        {
            this[16 + k] = (ulong)price;
            this[32 + k] = (ulong)quantity;
        }

        public readonly long Price(int k) => (long)this[16 + k];

        public readonly long Quantity(int k) => (long)this[32 + k];
    }
}
