using System.Buffers.Binary;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Pcap;

namespace LowLatency.Adapters.Files;

/// <summary>
/// Replays a pcap or pcapng capture of Aeron UDP traffic (as tcpdump takes it) through the engine's own
/// <see cref="AeronReceiver"/>: the same reassembly, ordering, duplicate and gap handling as live, on the capture's
/// clock. Frames the receiver would answer (SM, NAK) are computed and dropped; every whole message it delivers is one
/// inbound message, received at the capture time of the datagram that completed it.
/// </summary>
public sealed class PcapSource : IMessageSource
{
    private readonly PcapReader _reader;
    private readonly int _totalBytes;
    private readonly Dictionary<UdpEndpoint, int> _sources = [];
    private readonly Collector _collector = new();
    private int _next;
    private long _nowNs;

    /// <summary>Opens a capture; <paramref name="receiverOptions"/> defaults to the C driver's defaults on every stream.</summary>
    public PcapSource(string path, AeronReceiverOptions? receiverOptions = null)
    {
        var bytes = File.ReadAllBytes(path);
        _totalBytes = bytes.Length;
        _reader = new PcapReader(bytes);
        Receiver = new AeronReceiver(receiverOptions ?? new AeronReceiverOptions { ReceiverId = 1 });
        Description = $"capture {path}";
    }

    /// <summary>Whether <paramref name="path"/> is a file starting with a pcap or pcapng magic number.</summary>
    public static bool IsCapture(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var f = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        if (f.ReadAtLeast(magic, 4, throwOnEndOfStream: false) != 4)
        {
            return false;
        }

        uint le = BinaryPrimitives.ReadUInt32LittleEndian(magic);
        uint be = BinaryPrimitives.ReadUInt32BigEndian(magic);
        return le is 0x0A0D0D0A or 0xA1B2C3D4 or 0xA1B23C4D || be is 0xA1B2C3D4 or 0xA1B23C4D;
    }

    /// <summary>The receiver (its counters say what the capture held: gaps, duplicates, rejects).</summary>
    public AeronReceiver Receiver { get; }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public double Progress => _totalBytes == 0 ? 1 : Math.Min(1, (double)_reader.Packets / Math.Max(1, _totalBytes / 200));

    /// <inheritdoc/>
    public long Malformed => Receiver.Counters.TotalRejected;

    /// <summary>Why the capture could not be read to its end (null when it could).</summary>
    public string? CaptureError => _reader.Error;

    /// <inheritdoc/>
    public IReadOnlyList<string> Damage => _reader.Error is { } error ? [$"capture: {error}"] : [];

    /// <summary>Packets passed over: not UDP (normal in a capture), and truncated or fragmented UDP (data the capture lost).</summary>
    public (int NotUdp, int TruncatedOrFragment) Skipped => (_reader.SkippedNotUdp, _reader.SkippedTruncatedOrFragment);

    /// <inheritdoc/>
    public bool TryNext(out SourceMessage message)
    {
        while (_next >= _collector.Count)
        {
            _collector.Clear();
            _next = 0;
            if (!_reader.TryReadNext(out var datagram))
            {
                message = default;
                return false;
            }

            if (!_sources.TryGetValue(datagram.Source, out int id))
            {
                id = _sources.Count + 1;
                _sources[datagram.Source] = id;
            }

            _nowNs = datagram.TimestampNs;
            var handler = _collector;
            Receiver.OnDatagram(datagram.Payload.Span, id, _nowNs, ref handler);
            Receiver.DoWork(_nowNs);
            while (Receiver.Outbox.TryPeek(out _, out _))
            {
                Receiver.Outbox.Dequeue();
            }
        }

        var bytes = _collector.Message(_next++);
        message = new SourceMessage(SourceMessage.TypeOfSbe(bytes), _nowNs, bytes);
        return true;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    /// <summary>Copies the messages one datagram completes into one reusable buffer.</summary>
    private sealed class Collector : IAeronMessageHandler
    {
        private byte[] _buffer = new byte[1 << 16];
        private readonly List<(int Offset, int Length)> _messages = [];
        private int _used;

        public int Count => _messages.Count;

        public void Clear()
        {
            _messages.Clear();
            _used = 0;
        }

        public ReadOnlySpan<byte> Message(int i) => _buffer.AsSpan(_messages[i].Offset, _messages[i].Length);

        public void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position)
        {
            if (_used + payload.Length > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _used + payload.Length));
            }

            payload.CopyTo(_buffer.AsSpan(_used));
            _messages.Add((_used, payload.Length));
            _used += payload.Length;
        }
    }
}
