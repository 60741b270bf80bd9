using System.Net;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Adapters.Transport;

namespace LowLatency.Adapters.Gateway;

/// <summary>Where a gateway client listens, where the engine is, which streams; with documented defaults.</summary>
public sealed class GatewayClientOptions
{
    /// <summary>Address the client binds: the engine publishes decisions here. Default 127.0.0.1:<see cref="WireStreams.GatewayPort"/>.</summary>
    public IPEndPoint Bind { get; init; } = new(IPAddress.Loopback, WireStreams.GatewayPort);

    /// <summary>The engine's inbound address. Default 127.0.0.1:<see cref="WireStreams.EnginePort"/>.</summary>
    public IPEndPoint Engine { get; init; } = new(IPAddress.Loopback, WireStreams.EnginePort);

    /// <summary>Stream the client publishes transactions and labels on.</summary>
    public int InboundStreamId { get; init; } = WireStreams.Inbound;

    /// <summary>Stream the engine publishes decisions on.</summary>
    public int DecisionStreamId { get; init; } = WireStreams.Decisions;

    /// <summary>Transactions in flight the correlation table holds (a power of two). Default 65,536.</summary>
    public int PendingCapacity { get; init; } = 1 << 16;

    /// <summary>Idle strategy of the receive thread. Default backoff (parks in poll() when idle).</summary>
    public IdleStrategyKind Idle { get; init; } = IdleStrategyKind.Backoff;

    /// <summary>
    /// Whether the client runs its own receive thread (default). Set false to drive it from your thread with
    /// <see cref="GatewayClient{TListener}.Poll"/>: one thread hand-off less per round trip, the way Aeron clients poll
    /// their subscriptions.
    /// </summary>
    public bool OwnThread { get; init; } = true;

    /// <summary>
    /// Receiver window of the decision stream: how many bytes of decisions the engine may send beyond what this client has
    /// read (flow control). Default 128 KiB, Aeron's default; a multiple of 32.
    /// </summary>
    public int DecisionWindowLength { get; init; } = 128 * 1024;

    /// <summary>Publication term length (default 1 MiB: window 128 KiB, max message 128 KiB).</summary>
    public int TermLength { get; init; } = 1024 * 1024;

    /// <summary>
    /// Largest datagram of the inbound publication (Aeron's <c>mtu</c>): a multiple of 32 in [64, 65504], at most
    /// <see cref="TermLength"/>/8. Default 1408. Transactions offered in a burst (<c>send: false</c>, then a flush) share
    /// datagrams up to this size, so a larger mtu on loopback or a jumbo-frame network cuts the syscalls per message.
    /// </summary>
    public int Mtu { get; init; } = 1408;
}
