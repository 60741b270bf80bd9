namespace LowLatency.Adapters.Aeron;

/// <summary>
/// Settings of an <see cref="AeronReceiver"/>. Defaults are the C media driver's (PROTOCOL.md §12) unless noted.
/// </summary>
public sealed class AeronReceiverOptions
{
    /// <summary>Receiver id put in every SM and RTTM (§9.1); random per endpoint by default.</summary>
    public long ReceiverId { get; init; } = Random.Shared.NextInt64();

    /// <summary>Streams to accept; empty accepts every stream.</summary>
    public IReadOnlyList<int> StreamIds { get; init; } = Array.Empty<int>();

    /// <summary>Receiver window before the term/2 cap (§9.3). Default 128 KiB.</summary>
    public int InitialWindowLength { get; init; } = 128 * 1024;

    /// <summary>Periodic SM interval (§9.3). Default 200 ms.</summary>
    public long StatusMessageTimeoutNs { get; init; } = 200_000_000;

    /// <summary>Delay from detecting a gap to its first NAK (§9.5). Default 1 µs (1.53 unicast).</summary>
    public long NakDelayNs { get; init; } = 1_000;

    /// <summary>
    /// Delay between repeated NAKs for the same gap. The C driver uses 100 µs, but the C sender ignores repeats for 10 ms
    /// (§8.5), so NAKing faster only adds traffic; default 10 ms as the §14 checklist advises.
    /// </summary>
    public long NakRetryDelayNs { get; init; } = 10_000_000;

    /// <summary>No data or heartbeat for this long → the image is removed (§9.6). Default 10 s.</summary>
    public long ImageLivenessTimeoutNs { get; init; } = 10_000_000_000;

    /// <summary>SMs go only to a source heard from within this window (§9.3). Default 5 s.</summary>
    public long ConnectionTimeoutNs { get; init; } = 5_000_000_000;

    /// <summary>Suppression of repeated SETUP elicitation for one session (§9.2). Default 1 s.</summary>
    public long PendingSetupTimeoutNs { get; init; } = 1_000_000_000;

    /// <summary>How long a draining image keeps sending EOS SMs before it is removed (§9.6: 5 × SM timeout).</summary>
    public long DrainTimeoutNs { get; init; } = 1_000_000_000;

    /// <summary>Most images (sessions) held at once.</summary>
    public int MaxImages { get; init; } = 16;

    /// <summary>Control frames the outbox holds before dropping (counted).</summary>
    public int OutboxCapacity { get; init; } = 256;

    /// <summary>Largest term length accepted from a SETUP; the image allocates one term buffer of this size.</summary>
    public int MaxTermLength { get; init; } = LogPosition.MaxTermLength;

    /// <summary>Throws <see cref="ArgumentException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        if (InitialWindowLength < 32 || !AeronFrame.IsAligned(InitialWindowLength))
        {
            throw new ArgumentException("InitialWindowLength must be a positive multiple of 32.");
        }

        if (StatusMessageTimeoutNs <= 0 || NakDelayNs < 0 || NakRetryDelayNs <= 0 || ImageLivenessTimeoutNs <= 0
            || ConnectionTimeoutNs <= 0 || PendingSetupTimeoutNs <= 0 || DrainTimeoutNs < 0)
        {
            throw new ArgumentException("Timeouts must be positive.");
        }

        if (MaxImages < 1 || OutboxCapacity < 1)
        {
            throw new ArgumentException("MaxImages and OutboxCapacity must be positive.");
        }

        if (!LogPosition.IsValidTermLength(MaxTermLength))
        {
            throw new ArgumentException("MaxTermLength must be a power of two in [64 KiB, 1 GiB].");
        }
    }
}
