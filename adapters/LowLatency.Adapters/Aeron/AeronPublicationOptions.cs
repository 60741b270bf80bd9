using System.Security.Cryptography;

namespace LowLatency.Adapters.Aeron;

/// <summary>
/// Settings of an <see cref="AeronPublication"/>. Timing defaults are the C media driver's (PROTOCOL.md §12) unless noted.
/// </summary>
public sealed class AeronPublicationOptions
{
    /// <summary>Session id (§8.1): random outside Aeron's reserved range [−1, 1000] unless set.</summary>
    public int SessionId { get; init; } = RandomSessionId();

    /// <summary>Stream id.</summary>
    public int StreamId { get; init; } = 1;

    /// <summary>Term id at position 0 (§6.1): random unless set.</summary>
    public int InitialTermId { get; init; } = RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);

    /// <summary>
    /// Term length, a power of two in [64 KiB, 1 GiB]. Default 1 MiB: the receiver window caps at 128 KiB anyway, and the
    /// subscriber allocates 3 terms (§8.1), so the driver's 16 MiB would cost a real subscriber 48 MiB for small messages.
    /// </summary>
    public int TermLength { get; init; } = 1024 * 1024;

    /// <summary>
    /// Largest datagram (§6.5, §12): a multiple of 32 in [64, 65504] and at most the term's max message length
    /// (term/8), as Aeron requires. Default 1408, Aeron's default, which fits an Ethernet frame. A larger mtu packs more
    /// frames per datagram (up to 65504 on loopback, whose link mtu is 64 KiB; beyond the path's mtu the IP layer
    /// fragments and one lost fragment loses the whole datagram).
    /// </summary>
    public int Mtu { get; init; } = 1408;

    /// <summary>SETUP repeat interval while no status message has arrived (§8.2). Default 100 ms.</summary>
    public long SetupIntervalNs { get; init; } = 100_000_000;

    /// <summary>Heartbeat after this long without data (§8.4). Default 100 ms.</summary>
    public long HeartbeatIntervalNs { get; init; } = 100_000_000;

    /// <summary>Connected while some receiver sent an SM within this window (§8.2). Default 5 s.</summary>
    public long ConnectionTimeoutNs { get; init; } = 5_000_000_000;

    /// <summary>After close, EOS heartbeats and NAK answers continue this long at most (§8.8). Default 5 s.</summary>
    public long LingerTimeoutNs { get; init; } = 5_000_000_000;

    /// <summary>A retransmitted range ignores further NAKs for it this long (§8.5). Default 10 ms.</summary>
    public long RetransmitLingerNs { get; init; } = 10_000_000;

    /// <summary>
    /// How far the log may run ahead of the sender position before offers are back-pressured (§8.3 pub-wnd).
    /// 0 means the driver's default, term length / 2.
    /// </summary>
    public int PublicationWindowLength { get; init; }

    /// <summary>Whether close signals end of stream on heartbeats (§8.8, <c>eos=</c>). Default true.</summary>
    public bool SignalEndOfStream { get; init; } = true;

    /// <summary>
    /// Most data datagrams sent per <see cref="AeronPublication.DoWork"/> call, to bound a duty cycle; those of one term
    /// leave in one batch (one sendmmsg on Linux with <see cref="Udp.UdpEndpointOptions.BatchedSend"/>). Default 16, at
    /// most 1024.
    /// </summary>
    public int MaxDatagramsPerWork { get; init; } = 16;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!LogPosition.IsValidTermLength(TermLength))
        {
            throw new ArgumentException($"TermLength must be a power of two in [64 KiB, 1 GiB]; got {TermLength}.");
        }

        if (Mtu < 2 * DataFrame.HeaderLength || Mtu > AeronFrame.MaxUdpPayloadLength || !AeronFrame.IsAligned(Mtu))
        {
            throw new ArgumentException($"Mtu must be a multiple of 32 in [64, 65504]; got {Mtu}.");
        }

        int maxMessageLength = LogPosition.MaxMessageLength(TermLength);
        if (Mtu > maxMessageLength)
        {
            // Aeron refuses the same: a datagram may not exceed the largest message the term allows (§6.5).
            throw new ArgumentException(
                $"Mtu {Mtu} is greater than the max message length {maxMessageLength} of TermLength {TermLength} (min(term/8, 16 MiB)); use a longer term or a smaller mtu.");
        }

        if (SetupIntervalNs <= 0 || HeartbeatIntervalNs <= 0 || ConnectionTimeoutNs <= 0 || LingerTimeoutNs < 0 || RetransmitLingerNs < 0)
        {
            throw new ArgumentException("Intervals and timeouts must be positive.");
        }

        if (PublicationWindowLength < 0 || PublicationWindowLength > TermLength / 2)
        {
            throw new ArgumentException($"PublicationWindowLength must be in [0, TermLength / 2]; got {PublicationWindowLength}.");
        }

        if (MaxDatagramsPerWork is < 1 or > 1024)
        {
            throw new ArgumentException($"MaxDatagramsPerWork must be in [1, 1024]; got {MaxDatagramsPerWork}.");
        }
    }

    private static int RandomSessionId()
    {
        int id;
        do
        {
            id = RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        }
        while (id is >= -1 and <= 1000);

        return id;
    }
}
