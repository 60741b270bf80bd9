using System.Net;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Aeron.Udp;

namespace LowLatency.Adapters.Transport;

/// <summary>How the engine meets gateways on the wire: where it listens, where decisions go, which streams.</summary>
public sealed class EngineTransportOptions
{
    /// <summary>Address the engine binds for inbound publications (a gateway's channel: aeron:udp?endpoint=this).</summary>
    public IPEndPoint Inbound { get; init; } = new(IPAddress.Loopback, WireStreams.EnginePort);

    /// <summary>Where decisions are published (the gateway's subscription channel endpoint).</summary>
    public IPEndPoint DecisionDestination { get; init; } = new(IPAddress.Loopback, WireStreams.GatewayPort);

    /// <summary>Inbound stream id.</summary>
    public int InboundStreamId { get; init; } = WireStreams.Inbound;

    /// <summary>Decision stream id.</summary>
    public int DecisionStreamId { get; init; } = WireStreams.Decisions;

    /// <summary>Sources allowed to publish to <see cref="Inbound"/>; null (the default) accepts any source.</summary>
    public SourceAllowList? AllowedSources { get; init; }

    /// <summary>
    /// Address of the control endpoint (model promote, rollback, snapshot on <see cref="ControlStreamId"/>); null (the
    /// default) opens none. <c>lowlat serve</c> binds 127.0.0.1:<see cref="WireStreams.ControlPort"/> unless configured.
    /// </summary>
    public IPEndPoint? Control { get; init; }

    /// <summary>Control stream id.</summary>
    public int ControlStreamId { get; init; } = WireStreams.Control;

    /// <summary>Sources allowed to send control messages (default loopback only, whatever address the endpoint binds).</summary>
    public SourceAllowList ControlAllowedSources { get; init; } = SourceAllowList.Loopback;

    /// <summary>Idle strategy of the endpoint thread (default backoff: parks in poll() when idle).</summary>
    public IdleStrategyKind Idle { get; init; } = IdleStrategyKind.Backoff;

    /// <summary>Receiver settings (window, timers); null: defaults subscribed to <see cref="InboundStreamId"/> only, terms up to 16 MiB.</summary>
    public AeronReceiverOptions? Receiver { get; init; }

    /// <summary>
    /// How long the decide stage waits for a gateway to subscribe to decisions before it drops them (counted). Covers the
    /// moment a gateway connects: its first transactions can reach the engine before its first status message does.
    /// After the wait, decisions are dropped at once until a gateway subscribes again. Default 250 ms (a SETUP goes out
    /// every 100 ms while nobody is subscribed).
    /// </summary>
    public TimeSpan SubscriberWait { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Decision publication settings (term length, mtu, timers); null: defaults on <see cref="DecisionStreamId"/>.</summary>
    public AeronPublicationOptions? Publication { get; init; }
}
