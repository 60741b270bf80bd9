namespace LowLatency.Adapters.Pcap;

/// <summary>One UDP datagram read from a capture: when, from where, to where, and its payload (a slice of the file).</summary>
/// <param name="TimestampNs">Capture time in nanoseconds since the Unix epoch.</param>
/// <param name="Source">Sender address and port.</param>
/// <param name="Destination">Receiver address and port.</param>
/// <param name="Payload">The UDP payload; a view into the reader's buffer, no copy.</param>
/// <param name="PacketNumber">1-based number of the packet in the capture (as Wireshark counts), for diagnostics.</param>
public readonly record struct UdpDatagram(
    long TimestampNs, UdpEndpoint Source, UdpEndpoint Destination, ReadOnlyMemory<byte> Payload, int PacketNumber);
