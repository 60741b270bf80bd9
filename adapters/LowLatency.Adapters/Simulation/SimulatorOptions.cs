namespace LowLatency.Adapters.Simulation;

/// <summary>
/// Knobs of the payment simulator, all in simulated (event) time. Defaults describe a mid-size issuer
/// compressed so that a 30-second demo at tens of thousands of events per second covers a few simulated
/// hours: labels from customer reports arrive within the run, the volume spike and the drift both happen.
/// </summary>
public sealed record SimulatorOptions
{
    /// <summary>Seed of the whole stream (default 42). Same seed, same stream, byte for byte.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Number of cards (default 200,000).</summary>
    public int Cards { get; init; } = 200_000;

    /// <summary>Number of merchants (default 20,000).</summary>
    public int Merchants { get; init; } = 20_000;

    /// <summary>Zipf exponent of card and merchant popularity (default 1.05).</summary>
    public double ZipfExponent { get; init; } = 1.05;

    /// <summary>Event time of the first event, ns since the Unix epoch (default 2026-11-27T00:00Z, a Friday).</summary>
    public long StartTimeNs { get; init; } = 1_795_737_600_000_000_000L;

    /// <summary>Average genuine transactions per simulated second at a daily-average hour (default 100).</summary>
    public double TransactionsPerSimSecond { get; init; } = 100;

    /// <summary>
    /// Probability that a genuine transaction starts a fraud episode (default 0.0008). Episodes average about
    /// eight payments (card-testing bursts are long), so roughly 1% of transactions are fraud.
    /// </summary>
    public double FraudEpisodeRate { get; init; } = 0.0008;

    /// <summary>When the new fraud pattern appears (default 90 simulated minutes after the start).</summary>
    public TimeSpan DriftAt { get; init; } = TimeSpan.FromMinutes(90);

    /// <summary>Start of the volume spike (default 60 simulated minutes after the start).</summary>
    public TimeSpan SpikeAt { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>Length of the volume spike (default 20 simulated minutes).</summary>
    public TimeSpan SpikeDuration { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>Traffic multiplier during the spike (default 4).</summary>
    public double SpikeMultiplier { get; init; } = 4;

    /// <summary>Mean delay of a customer fraud report (default 10 simulated minutes).</summary>
    public TimeSpan CustomerReportDelay { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Share of fraud reported by the customer; the rest arrives as chargebacks (default 0.7).</summary>
    public double CustomerReportShare { get; init; } = 0.7;

    /// <summary>Mean delay of a chargeback (default 30 simulated days).</summary>
    public TimeSpan ChargebackDelay { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Share of genuine transactions that get a "genuine" label (default 0.1).</summary>
    public double GenuineLabelShare { get; init; } = 0.1;

    /// <summary>Mean delay of a genuine label (default 20 simulated minutes).</summary>
    public TimeSpan GenuineLabelDelay { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>Mean delay between a card's visit to a compromised merchant and the abuse of its details (default 30 simulated minutes).</summary>
    public TimeSpan CompromiseToAbuseDelay { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Throws with a message naming the first invalid option.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentException(message);
            }
        }

        Check(Cards is > 0 and <= 50_000_000, $"Cards must be 1..50,000,000; got {Cards}.");
        Check(Merchants is >= 100 and <= 10_000_000, $"Merchants must be 100..10,000,000; got {Merchants}.");
        Check(ZipfExponent is >= 0 and <= 3, $"ZipfExponent must be 0..3; got {ZipfExponent}.");
        Check(TransactionsPerSimSecond is > 0 and < 1e7, $"TransactionsPerSimSecond must be > 0; got {TransactionsPerSimSecond}.");
        Check(FraudEpisodeRate is >= 0 and < 0.5, $"FraudEpisodeRate must be 0..0.5; got {FraudEpisodeRate}.");
        Check(SpikeMultiplier is >= 1 and <= 100, $"SpikeMultiplier must be 1..100; got {SpikeMultiplier}.");
        Check(CustomerReportShare is >= 0 and <= 1, $"CustomerReportShare must be 0..1; got {CustomerReportShare}.");
        Check(GenuineLabelShare is >= 0 and <= 1, $"GenuineLabelShare must be 0..1; got {GenuineLabelShare}.");
        Check(DriftAt >= TimeSpan.Zero && SpikeAt >= TimeSpan.Zero && SpikeDuration >= TimeSpan.Zero, "DriftAt, SpikeAt and SpikeDuration must not be negative.");
        Check(CustomerReportDelay > TimeSpan.Zero && ChargebackDelay > TimeSpan.Zero && GenuineLabelDelay > TimeSpan.Zero && CompromiseToAbuseDelay > TimeSpan.Zero, "Delays must be positive.");
    }
}
