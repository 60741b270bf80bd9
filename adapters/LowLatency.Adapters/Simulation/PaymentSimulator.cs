using System.Runtime.CompilerServices;
using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Simulation;

/// <summary>
/// A seeded, deterministic stream of payment transactions with ground truth and delayed labels, in event-time
/// order. Genuine traffic arrives as a Poisson process whose rate follows the hour of the day (and a volume
/// spike); fraud episodes are scheduled into a time-ordered queue together with the labels, and the next event
/// is whichever of the two comes first. The population (cards, merchants, popularity tables) is built once
/// in the constructor; <see cref="Next"/> allocates nothing (unless the pending queue must grow past its
/// generous initial size, which the defaults never reach).
/// </summary>
public sealed partial class PaymentSimulator
{
    private const double NsPerSecond = 1e9;

    /// <summary>Relative traffic by hour of day (UTC); averages 1.</summary>
    private static readonly double[] HourlyRate =
    [
        0.25, 0.18, 0.14, 0.12, 0.14, 0.25, 0.50, 0.85, 1.15, 1.30, 1.40, 1.50,
        1.60, 1.55, 1.45, 1.40, 1.45, 1.55, 1.60, 1.50, 1.30, 1.05, 0.75, 0.47,
    ];

    private readonly SimulatorOptions _options;
    private readonly PendingQueue _pending = new(1 << 16);
    private Xoshiro256 _rng;

    // Cards.
    private readonly ulong[] _cardId;
    private readonly ulong[] _cardAccount;
    private readonly byte[] _cardCountry;
    private readonly byte[] _cardRegion;
    private readonly ulong[] _cardDevice;
    private readonly uint[] _cardIp;
    private readonly float[] _cardSpend;
    private readonly AliasTable _cardPopularity;

    // Merchants, and per country the merchants located there.
    private readonly ulong[] _merchantId;
    private readonly byte[] _merchantCountry;
    private readonly byte[] _merchantCategory;
    private readonly double[] _merchantLat;
    private readonly double[] _merchantLon;
    private readonly long[] _merchantCompromisedUntilNs;
    private readonly int[][] _merchantsByRegion;
    private readonly AliasTable[] _merchantPopularityByRegion;
    private readonly int[] _onlineMerchants;
    private readonly int[] _cryptoMerchants;

    private long _nextGenuineNs;
    private ulong _nextTxId = 1;
    private long _transactions;
    private long _fraudTransactions;
    private long _labels;

    /// <summary>Builds the population for <paramref name="options"/> (validated; throws with a message naming a bad option).</summary>
    public PaymentSimulator(SimulatorOptions? options = null)
    {
        _options = options ?? new SimulatorOptions();
        _options.Validate();
        _rng = new Xoshiro256(_options.Seed);

        int cards = _options.Cards;
        _cardId = new ulong[cards];
        _cardAccount = new ulong[cards];
        _cardCountry = new byte[cards];
        _cardRegion = new byte[cards];
        _cardDevice = new ulong[cards];
        _cardIp = new uint[cards];
        _cardSpend = new float[cards];
        var countryShares = new AliasTable(Geography.Countries.Select(c => c.CardShare).ToArray());
        ulong account = 0;
        for (int i = 0; i < cards; i++)
        {
            _cardId[i] = Mix(0xC0FFEE00UL + (ulong)i);
            // One to three cards per account: a new account unless the coin says this card shares the last.
            if (i == 0 || !_rng.Chance(0.35))
            {
                account = Mix(0xACC00000UL + (ulong)i);
            }

            _cardAccount[i] = account;
            int country = countryShares.Sample(ref _rng);
            _cardCountry[i] = (byte)country;
            _cardRegion[i] = (byte)Regions.Region(country, _rng.Next(Geography.Countries[country].Cities.Length));
            _cardDevice[i] = Mix(0xDE000000UL + (ulong)i);
            _cardIp[i] = (uint)Mix(0x1F000000UL + (ulong)i);
            _cardSpend[i] = (float)(_rng.Normal() * 0.3);
        }

        _cardPopularity = AliasTable.Zipf(cards, _options.ZipfExponent);

        int merchants = _options.Merchants;
        _merchantId = new ulong[merchants];
        _merchantCountry = new byte[merchants];
        _merchantCategory = new byte[merchants];
        _merchantLat = new double[merchants];
        _merchantLon = new double[merchants];
        _merchantCompromisedUntilNs = new long[merchants];
        var categoryShares = new AliasTable(Geography.Categories.Select(c => c.Share).ToArray());
        var byRegion = Enumerable.Range(0, Regions.Count).Select(_ => new List<int>()).ToArray();
        var online = new List<int>();
        var crypto = new List<int>();
        for (int m = 0; m < merchants; m++)
        {
            _merchantId[m] = Mix(0x3E000000UL + (ulong)m);
            // Merchants are where the cardholders are, plus a share in the other countries.
            int country = _rng.Chance(0.85) ? countryShares.Sample(ref _rng) : _rng.Next(Geography.Countries.Length);
            _merchantCountry[m] = (byte)country;
            bool isCrypto = m % 97 == 0;
            _merchantCategory[m] = isCrypto ? byte.MaxValue : (byte)categoryShares.Sample(ref _rng);
            var cities = Geography.Countries[country].Cities;
            int city = _rng.Next(cities.Length);
            var (lat, lon) = cities[city];
            _merchantLat[m] = lat + ((_rng.NextDouble() - 0.5) * 0.2);
            _merchantLon[m] = lon + ((_rng.NextDouble() - 0.5) * 0.2);
            if (isCrypto)
            {
                crypto.Add(m);
            }
            else
            {
                byRegion[Regions.Region(country, city)].Add(m);
                if (CategoryOf(m).Channel != Channel.Pos && CategoryOf(m).Channel != Channel.Atm)
                {
                    online.Add(m);
                }
            }
        }

        for (int r = 0; r < byRegion.Length; r++)
        {
            if (byRegion[r].Count == 0)
            {
                byRegion[r].Add(0); // a tiny population can leave a city empty; borrow merchant 0
            }
        }

        _merchantsByRegion = [.. byRegion.Select(l => l.ToArray())];
        _merchantPopularityByRegion = [.. _merchantsByRegion.Select(l => AliasTable.Zipf(l.Length, _options.ZipfExponent))];
        _onlineMerchants = online.Count > 0 ? [.. online] : [0];
        _cryptoMerchants = crypto.Count > 0 ? [.. crypto] : [0];

        _nextGenuineNs = _options.StartTimeNs;
        AdvanceGenuineClock();
    }

    /// <summary>The options in force.</summary>
    public SimulatorOptions Options => _options;

    /// <summary>Transactions produced so far.</summary>
    public long Transactions => _transactions;

    /// <summary>Fraudulent transactions produced so far.</summary>
    public long FraudTransactions => _fraudTransactions;

    /// <summary>Labels produced so far.</summary>
    public long Labels => _labels;

    /// <summary>Scheduled fraud steps and labels not yet emitted.</summary>
    public int Pending => _pending.Count;

    /// <summary>Produces the next event in event-time order.</summary>
    public void Next(ref SimEvent e)
    {
        if (_pending.Count > 0 && _pending.PeekTime() <= _nextGenuineNs)
        {
            var item = _pending.Pop();
            if (item.Kind == PendingKind.Label)
            {
                e.Kind = SimEventKind.Label;
                e.Label = new Label { TxId = item.TxId, LabelTimeNs = item.TimeNs, Class = item.Fraud ? LabelClass.Fraud : LabelClass.Genuine, Source = item.Source };
                _labels++;
                return;
            }

            EmitFraudStep(in item, ref e);
            return;
        }

        EmitGenuine(ref e);
        AdvanceGenuineClock();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Geography.Category CategoryOf(int merchant) =>
        _merchantCategory[merchant] == byte.MaxValue ? Geography.Crypto : Geography.Categories[_merchantCategory[merchant]];

    private bool InSpike(long timeNs)
    {
        long since = timeNs - _options.StartTimeNs;
        return since >= _options.SpikeAt.Ticks * 100 && since < (_options.SpikeAt + _options.SpikeDuration).Ticks * 100;
    }

    private bool AfterDrift(long timeNs) => timeNs - _options.StartTimeNs >= _options.DriftAt.Ticks * 100;

    private void AdvanceGenuineClock()
    {
        int hour = (int)((_nextGenuineNs / 3_600_000_000_000L) % 24);
        double rate = _options.TransactionsPerSimSecond * HourlyRate[hour] * (InSpike(_nextGenuineNs) ? _options.SpikeMultiplier : 1.0);
        _nextGenuineNs += 1 + (long)(_rng.Exponential(1.0 / rate) * NsPerSecond);
    }

    private static ulong Mix(ulong x)
    {
        x ^= x >> 31;
        x *= 0x7FB5D329728EA185UL;
        x ^= x >> 27;
        x *= 0x81DADEF4BC2DD44DUL;
        return (x ^ (x >> 33)) | 1; // never 0: 0 means "unknown" for devices and IPs
    }
}
