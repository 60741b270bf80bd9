namespace LowLatency.Adapters.Aeron;

/// <summary>Aeron frame types, the uint16 at offset 6 of every frame (PROTOCOL.md §2).</summary>
public enum FrameType : ushort
{
    /// <summary>Padding to the end of a term; only its 32-byte header travels (§3.1, §6.4).</summary>
    Pad = 0x0000,

    /// <summary>Data fragment, or a heartbeat when frame_length is 0 (§3.1, §3.2).</summary>
    Data = 0x0001,

    /// <summary>Negative acknowledgement, receiver → sender (§3.5).</summary>
    Nak = 0x0002,

    /// <summary>Status message, receiver → sender (§3.4).</summary>
    StatusMessage = 0x0003,

    /// <summary>Error frame, receiver → sender (§3.7).</summary>
    Error = 0x0004,

    /// <summary>Setup, sender → receiver (§3.3).</summary>
    Setup = 0x0005,

    /// <summary>Round-trip-time measurement, both directions (§3.6).</summary>
    Rttm = 0x0006,

    /// <summary>Driver name resolution; not used by this endpoint (§2).</summary>
    Resolution = 0x0007,

    /// <summary>Response setup, receiver → sender, response channels only (§3.8).</summary>
    ResponseSetup = 0x000B,
}
