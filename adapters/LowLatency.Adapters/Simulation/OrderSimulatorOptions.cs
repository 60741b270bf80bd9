using System.Globalization;

namespace LowLatency.Adapters.Simulation;

/// <summary>Options of the <see cref="OrderSimulator"/>, with documented defaults; all times are event time.</summary>
public sealed class OrderSimulatorOptions
{
    /// <summary>Seed of the stream. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Event time of the start (UTC). Default 2026-01-05 14:30 UTC (a market open).</summary>
    public DateTime Start { get; init; } = new(2026, 1, 5, 14, 30, 0, DateTimeKind.Utc);

    /// <summary>Trading accounts (Zipf-active). Default 1,000.</summary>
    public int Accounts { get; init; } = 1_000;

    /// <summary>Instruments (Zipf-traded). Default 50.</summary>
    public int Instruments { get; init; } = 50;

    /// <summary>Venues orders are spread over. Default 4.</summary>
    public int Venues { get; init; } = 4;

    /// <summary>Mean rate of new ordinary orders per simulated second (cancels and fills come on top). Default 10,000.</summary>
    public double EventsPerSecond { get; init; } = 10_000;

    /// <summary>Probability that a new ordinary order starts an algorithmic burst of 5–20 child orders. Default 0.02.</summary>
    public double BurstProbability { get; init; } = 0.02;

    /// <summary>Probability per new ordinary order that a spoofing episode starts. Default 0.0005.</summary>
    public double SpoofingRate { get; init; } = 0.0005;

    /// <summary>Share of ordinary orders cancelled (the rest of those not filled simply rest). Default 0.7.</summary>
    public double CancelShare { get; init; } = 0.7;

    /// <summary>Share of ordinary orders filled. Default 0.2.</summary>
    public double FillShare { get; init; } = 0.2;

    /// <summary>Most future cancels and fills waiting at once; beyond it they are dropped and counted. Default 2^18.</summary>
    public int PendingCapacity { get; init; } = 1 << 18;

    /// <summary>Checks every option; throws <see cref="ArgumentOutOfRangeException"/> naming the first bad one.</summary>
    public void Validate()
    {
        Range(nameof(Accounts), Accounts, 2, 10_000_000);
        Range(nameof(Instruments), Instruments, 1, 1_000_000);
        Range(nameof(Venues), Venues, 1, ushort.MaxValue);
        if (!(EventsPerSecond > 0 && EventsPerSecond <= 1e9))
        {
            throw new ArgumentOutOfRangeException(nameof(EventsPerSecond), string.Create(CultureInfo.InvariantCulture, $"EventsPerSecond must be > 0 and <= 1e9, got {EventsPerSecond}."));
        }

        Range(nameof(BurstProbability), BurstProbability, 0, 1);
        Range(nameof(SpoofingRate), SpoofingRate, 0, 0.1);
        Range(nameof(CancelShare), CancelShare, 0, 1);
        Range(nameof(FillShare), FillShare, 0, 1);
        if (CancelShare + FillShare > 1 + 1e-12)
        {
            throw new ArgumentOutOfRangeException(nameof(FillShare), "CancelShare + FillShare must be <= 1.");
        }

        Range(nameof(PendingCapacity), PendingCapacity, 64, 1 << 28);
        if (Start.Kind == DateTimeKind.Local || Start < DateTime.UnixEpoch)
        {
            throw new ArgumentOutOfRangeException(nameof(Start), "Start must be UTC and not before 1970-01-01.");
        }
    }

    private static void Range(string name, double value, double min, double max)
    {
        if (!(value >= min && value <= max))
        {
            throw new ArgumentOutOfRangeException(name, string.Create(CultureInfo.InvariantCulture, $"{name} must be in [{min}, {max}], got {value}."));
        }
    }
}
