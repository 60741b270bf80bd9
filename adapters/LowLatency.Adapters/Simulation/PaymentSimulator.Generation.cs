using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Simulation;

public sealed partial class PaymentSimulator
{
    private const long Second = 1_000_000_000L;

    private void EmitGenuine(ref SimEvent e)
    {
        long t = _nextGenuineNs;
        int card = _cardPopularity.Sample(ref _rng);
        int home = _cardCountry[card];
        int merchant;
        if (InSpike(t) && _rng.Chance(0.3))
        {
            merchant = _onlineMerchants[_rng.Next(_onlineMerchants.Length)]; // the spike is shopping online
        }
        else if (_rng.Chance(0.03))
        {
            merchant = PickOnline(foreignTo: home); // cross-border online shopping
        }
        else
        {
            int region = _cardRegion[card]; // in person and locally online: the cardholder's own city
            merchant = _merchantsByRegion[region][_merchantPopularityByRegion[region].Sample(ref _rng)];
        }

        FillTransaction(ref e, t, card, merchant, ref _rng);
        e.Truth = new GroundTruth(false, FraudPattern.None);
        Emitted(ref e);

        // A visit to a compromised merchant leaks the card's details for later abuse.
        if (_merchantCompromisedUntilNs[merchant] > t && _rng.Chance(0.05))
        {
            Schedule(t + 1 + (long)(_rng.Exponential(_options.CompromiseToAbuseDelay.TotalSeconds) * Second), FraudPattern.CompromisedMerchant, card, (byte)(1 + _rng.Next(3)));
        }

        if (_rng.Chance(5e-6))
        {
            _merchantCompromisedUntilNs[merchant] = t + (30 * 60 * Second);
        }

        if (_rng.Chance(_options.FraudEpisodeRate))
        {
            StartEpisode(t);
        }
    }

    private void StartEpisode(long t)
    {
        bool drift = AfterDrift(t);
        double u = _rng.NextDouble() * (drift ? 1.35 : 1.0);
        var pattern = u < 0.35 ? FraudPattern.CardTesting : u < 0.70 ? FraudPattern.AccountTakeover : u < 1.0 ? FraudPattern.ImpossibleTravel : FraudPattern.AppCryptoEscalation;
        int victim = _cardPopularity.Sample(ref _rng);
        byte steps = pattern switch
        {
            FraudPattern.CardTesting => (byte)(8 + _rng.Next(13)),
            FraudPattern.AccountTakeover => (byte)(2 + _rng.Next(3)),
            FraudPattern.ImpossibleTravel => (byte)(2 + _rng.Next(2)), // step 0 is the cardholder's own home payment
            _ => (byte)(3 + _rng.Next(3)),
        };
        Schedule(t + 1 + (long)(_rng.Exponential(30) * Second), pattern, victim, steps);
    }

    private void Schedule(long timeNs, FraudPattern pattern, int card, byte steps) => _pending.Push(new PendingItem
    {
        TimeNs = timeNs,
        Kind = PendingKind.FraudStep,
        Pattern = pattern,
        Card = card,
        Step = 0,
        Remaining = steps,
        Aux = _rng.NextUInt64() | 1,
    });

    private void EmitFraudStep(in PendingItem item, ref SimEvent e)
    {
        long t = item.TimeNs;
        int card = item.Card;
        int home = _cardCountry[card];
        ref var tx = ref e.Transaction;
        bool fraud = true;
        double gapSeconds;
        switch (item.Pattern)
        {
            case FraudPattern.CardTesting:
                FillTransaction(ref e, t, card, _onlineMerchants[_rng.Next(_onlineMerchants.Length)], ref _rng);
                tx.AmountMinor = 50 + _rng.Next(250);
                tx.EntryMode = EntryMode.Manual;
                tx.Flags = TransactionFlags.None;
                tx.DeviceId = item.Aux;
                tx.Ipv4 = (uint)(item.Aux >> 32) | 1;
                gapSeconds = _rng.Exponential(20);
                break;
            case FraudPattern.AccountTakeover:
                FillTransaction(ref e, t, card, PickOnline(foreignTo: home), ref _rng);
                tx.AmountMinor = (long)(_rng.LogNormal(6.0, 0.5) * 100);
                tx.EntryMode = EntryMode.CardOnFile;
                tx.Flags = TransactionFlags.None;
                tx.DeviceId = item.Aux;
                tx.Ipv4 = (uint)(item.Aux >> 32) | 1;
                gapSeconds = _rng.Exponential(180);
                break;
            case FraudPattern.ImpossibleTravel when item.Step == 0:
                // The cardholder pays at home in person; the counterfeit copy is used far away soon after.
                int region = _cardRegion[card];
                int m = _merchantsByRegion[region][_merchantPopularityByRegion[region].Sample(ref _rng)];
                FillTransaction(ref e, t, card, m, ref _rng);
                MakeCardPresent(ref tx, _merchantLat[m], _merchantLon[m], EntryMode.Chip);
                fraud = false;
                gapSeconds = 120 + _rng.Exponential(600);
                break;
            case FraudPattern.ImpossibleTravel:
                int far = PickFarMerchant(item.Latitude, item.Longitude);
                FillTransaction(ref e, t, card, far, ref _rng);
                MakeCardPresent(ref tx, _merchantLat[far], _merchantLon[far], EntryMode.Magstripe);
                tx.Channel = Channel.Pos;
                tx.AmountMinor = (long)(_rng.LogNormal(5.5, 0.5) * 100);
                gapSeconds = 60 + _rng.Exponential(300);
                break;
            case FraudPattern.CompromisedMerchant:
                FillTransaction(ref e, t, card, PickOnline(foreignTo: _rng.Chance(0.5) ? home : -1), ref _rng);
                tx.AmountMinor = (long)(_rng.LogNormal(5.2, 0.6) * 100);
                if (_rng.Chance(0.7))
                {
                    tx.DeviceId = item.Aux;
                    tx.Ipv4 = (uint)(item.Aux >> 32) | 1;
                }

                gapSeconds = _rng.Exponential(300);
                break;
            default: // AppCryptoEscalation: the card's own device and IP (malware), passing 3-D Secure, amounts tripling.
                int crypto = _cryptoMerchants[_rng.Next(_cryptoMerchants.Length)];
                FillTransaction(ref e, t, card, crypto, ref _rng);
                tx.Channel = Channel.InApp;
                tx.EntryMode = EntryMode.CardOnFile;
                tx.Flags = TransactionFlags.ThreeDSecure;
                tx.DeviceId = _cardDevice[card];
                tx.Ipv4 = _cardIp[card];
                tx.Latitude = double.NaN;
                tx.Longitude = double.NaN;
                tx.AmountMinor = (long)(2000 * Math.Pow(3, item.Step) * (0.8 + (0.4 * _rng.NextDouble())));
                gapSeconds = _rng.Exponential(240);
                break;
        }

        e.Truth = new GroundTruth(fraud, fraud ? item.Pattern : FraudPattern.None);
        Emitted(ref e);
        if (item.Remaining > 1)
        {
            var next = item;
            next.TimeNs = t + 1 + (long)(gapSeconds * Second);
            next.Step++;
            next.Remaining--;
            if (item.Step == 0)
            {
                // Where the card really was: "far" is measured from here (a big country's cities are far apart too).
                next.Latitude = tx.Latitude;
                next.Longitude = tx.Longitude;
            }

            _pending.Push(next);
        }
    }

    /// <summary>Common fields of a transaction at <paramref name="merchant"/> in the way its category is paid.</summary>
    private void FillTransaction(ref SimEvent e, long t, int card, int merchant, ref Xoshiro256 rng)
    {
        var cat = CategoryOf(merchant);
        var country = Geography.Countries[_merchantCountry[merchant]];
        ref var tx = ref e.Transaction;
        e.Kind = SimEventKind.Transaction;
        tx.TxId = _nextTxId++;
        tx.EventTimeNs = t;
        tx.CardId = _cardId[card];
        tx.AccountId = _cardAccount[card];
        tx.MerchantId = _merchantId[merchant];
        tx.Mcc = cat.Mcc;
        tx.Country = country.Iso;
        tx.Currency = country.Currency;
        tx.Channel = cat.Channel;
        tx.AmountMinor = Math.Max(1, (long)(rng.LogNormal(cat.AmountMu + _cardSpend[card], cat.AmountSigma) * 100));
        if (cat.Channel is Channel.Pos or Channel.Atm)
        {
            var mode = cat.Channel == Channel.Atm ? EntryMode.Chip : rng.Chance(0.6) ? EntryMode.Contactless : rng.Chance(0.95) ? EntryMode.Chip : EntryMode.Magstripe;
            MakeCardPresent(ref tx, _merchantLat[merchant], _merchantLon[merchant], mode);
        }
        else
        {
            tx.EntryMode = rng.Chance(0.6) ? EntryMode.CardOnFile : EntryMode.Manual;
            tx.Flags = (rng.Chance(0.7) ? TransactionFlags.ThreeDSecure : TransactionFlags.None)
                | (cat.Mcc == 4814 && rng.Chance(0.6) ? TransactionFlags.Recurring : TransactionFlags.None);
            tx.DeviceId = rng.Chance(0.93) ? _cardDevice[card] : rng.NextUInt64() | 1;
            tx.Ipv4 = rng.Chance(0.9) ? _cardIp[card] : (uint)rng.NextUInt64() | 1;
            tx.Latitude = double.NaN;
            tx.Longitude = double.NaN;
        }
    }

    private static void MakeCardPresent(ref Transaction tx, double lat, double lon, EntryMode mode)
    {
        tx.EntryMode = mode;
        tx.Flags = TransactionFlags.CardPresent;
        tx.DeviceId = 0;
        tx.Ipv4 = 0;
        tx.Latitude = lat;
        tx.Longitude = lon;
    }

    /// <summary>An online merchant, in another country than <paramref name="foreignTo"/> when that is a country index (≥ 0).</summary>
    private int PickOnline(int foreignTo)
    {
        int m = _onlineMerchants[_rng.Next(_onlineMerchants.Length)];
        for (int tries = 0; tries < 8 && foreignTo >= 0 && _merchantCountry[m] == foreignTo; tries++)
        {
            m = _onlineMerchants[_rng.Next(_onlineMerchants.Length)];
        }

        return m;
    }

    /// <summary>A merchant at least 3,000 km from (<paramref name="lat"/>, <paramref name="lon"/>) (falls back to the farthest tried).</summary>
    private int PickFarMerchant(double lat, double lon)
    {
        int best = 0;
        double bestKm = -1;
        for (int tries = 0; tries < 16; tries++)
        {
            var local = _merchantsByRegion[_rng.Next(Regions.Count)];
            int m = local[_rng.Next(local.Length)];
            double km = Geo.HaversineKm(lat, lon, _merchantLat[m], _merchantLon[m]);
            if (km > bestKm)
            {
                (best, bestKm) = (m, km);
            }

            if (km >= 3000)
            {
                break;
            }
        }

        return best;
    }

    /// <summary>Counts the transaction and schedules its label, if it gets one.</summary>
    private void Emitted(ref SimEvent e)
    {
        _transactions++;
        long t = e.Transaction.EventTimeNs;
        if (e.Truth.IsFraud)
        {
            _fraudTransactions++;
            bool report = _rng.Chance(_options.CustomerReportShare);
            double delay = report ? 60 + _rng.Exponential(_options.CustomerReportDelay.TotalSeconds) : _rng.Exponential(_options.ChargebackDelay.TotalSeconds);
            PushLabel(e.Transaction.TxId, t + 1 + (long)(delay * Second), true, report ? LabelSource.CustomerReport : LabelSource.Chargeback);
        }
        else if (_rng.Chance(_options.GenuineLabelShare))
        {
            PushLabel(e.Transaction.TxId, t + 1 + (long)(_rng.Exponential(_options.GenuineLabelDelay.TotalSeconds) * Second), false, LabelSource.Investigation);
        }
    }

    private void PushLabel(ulong txId, long timeNs, bool fraud, LabelSource source) =>
        _pending.Push(new PendingItem { TimeNs = timeNs, Kind = PendingKind.Label, TxId = txId, Fraud = fraud, Source = source });
}
