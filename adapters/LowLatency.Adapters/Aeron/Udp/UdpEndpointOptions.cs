using System.Net;

namespace LowLatency.Adapters.Aeron.Udp;

/// <summary>Settings of an <see cref="AeronUdpEndpoint"/>, with documented defaults.</summary>
public sealed class UdpEndpointOptions
{
    /// <summary>Local address and port to bind (PROTOCOL.md §9.1: bind the specific IP). Default 127.0.0.1, ephemeral port.</summary>
    public IPEndPoint Bind { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>SO_RCVBUF in bytes (§9.1: at least the receiver window). Default 2 MiB; the kernel caps it at rmem_max.</summary>
    public int ReceiveBufferSize { get; init; } = 2 * 1024 * 1024;

    /// <summary>SO_SNDBUF in bytes. Default 2 MiB.</summary>
    public int SendBufferSize { get; init; } = 2 * 1024 * 1024;

    /// <summary>Most datagrams read per duty cycle before timers and publications get their turn. Default 64.</summary>
    public int MaxDatagramsPerPoll { get; init; } = 64;

    /// <summary>Idle behaviour of the endpoint's own thread. Default <see cref="IdleStrategyKind.Backoff"/>.</summary>
    public IdleStrategyKind Idle { get; init; } = IdleStrategyKind.Backoff;

    /// <summary>Longest single park in poll() when idle (bounds timer lateness: NAK retries, SMs, heartbeats). Default 1 ms.</summary>
    public int MaxParkMicroseconds { get; init; } = 1000;

    /// <summary>
    /// Read datagrams with one non-blocking recvmmsg(2) per batch of up to 32 (Linux x64/arm64; ignored elsewhere) instead
    /// of one FIONREAD + recvfrom pair per datagram. Default on: it cut the receive path's cost per 128-byte message by
    /// about 2.7× in AeronReceiveBenchmarks (perf/results/aeron.md).
    /// </summary>
    public bool BatchedReceive { get; init; } = true;

    /// <summary>
    /// Send the data datagrams a publication has ready in one duty cycle (up to
    /// <see cref="AeronPublicationOptions.MaxDatagramsPerWork"/>, within one term) with one sendmmsg(2) (Linux x64/arm64;
    /// ignored elsewhere) instead of one sendto each, as the C media driver does. The datagrams and their order are the
    /// same either way. Default on.
    /// </summary>
    public bool BatchedSend { get; init; } = true;

    /// <summary>
    /// Sources whose datagrams the receiver may see; null (the default) accepts any source. A datagram from elsewhere is
    /// dropped before it reaches the receiver and counted as <see cref="ReceiverRejectReason.SourceNotAllowed"/> (and in
    /// <see cref="AeronUdpEndpoint.DatagramsRefused"/>). Status messages and NAKs for this endpoint's publications are not
    /// filtered: they are matched to a publication by session and stream, and a publication sends only to its one
    /// configured destination.
    /// </summary>
    public SourceAllowList? AllowedSources { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Bind);
        if (ReceiveBufferSize < 64 * 1024 || SendBufferSize < 64 * 1024)
        {
            throw new ArgumentException("Socket buffers must be at least 64 KiB.");
        }

        if (MaxDatagramsPerPoll < 1 || MaxParkMicroseconds < 1)
        {
            throw new ArgumentException("MaxDatagramsPerPoll and MaxParkMicroseconds must be positive.");
        }
    }
}
