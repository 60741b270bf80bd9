namespace LowLatency.Adapters.Transport;

/// <summary>
/// The engine's Aeron stream ids and default ports (README: "Pointing a real Aeron client at the engine"). Inbound
/// Transactions, Labels and Orders share one stream so their order is the publisher's order; decisions go back on another.
/// </summary>
public static class WireStreams
{
    /// <summary>Stream id of inbound SBE messages (Transaction, Label, Order) published to the engine.</summary>
    public const int Inbound = 1001;

    /// <summary>Stream id of the engine's SBE Decision publication to a gateway.</summary>
    public const int Decisions = 1002;

    /// <summary>Stream id of control messages (SBE Control: model promote, rollback, snapshot) on the engine's control endpoint.</summary>
    public const int Control = 1003;

    /// <summary>Default UDP port the engine binds for inbound publications.</summary>
    public const int EnginePort = 40456;

    /// <summary>Default UDP port a gateway binds to receive decisions.</summary>
    public const int GatewayPort = 40457;

    /// <summary>Default UDP port of the engine's control endpoint (bound to loopback by default).</summary>
    public const int ControlPort = 40458;
}
