using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Pcap;

namespace LowLatency.Adapters.Tests.Aeron;

/// <summary>The real Aeron C driver captures (shared/aeron), copied beside these tests, and helpers to replay them.</summary>
internal static partial class Captures
{
    public const ushort ReceiverPort = 20121;

    private static readonly Lazy<string> Directory = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "LowLatency.Adapters.Tests", "Aeron", "Captures");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("Aeron captures not found above " + AppContext.BaseDirectory);
    });

    public static string PathOf(string name) => Path.Combine(Directory.Value, name);

    public static List<UdpDatagram> Read(string pcapName)
    {
        var reader = PcapReader.Open(PathOf(pcapName));
        var list = new List<UdpDatagram>();
        while (reader.TryReadNext(out UdpDatagram d))
        {
            list.Add(d);
        }

        Assert.Null(reader.Error);
        return list;
    }

    public static List<UdpDatagram> ToReceiver(string pcapName) =>
        Read(pcapName).Where(d => d.Destination.Port == ReceiverPort).ToList();

    public static List<UdpDatagram> FromReceiver(string pcapName) =>
        Read(pcapName).Where(d => d.Source.Port == ReceiverPort).ToList();

    /// <summary>
    /// Data frame lengths the Wireshark dissector printed in a text dump ("Data Frame: Term 0x.., Ofs N, Len L(A)"), keyed
    /// by (term id, term offset): an independent decode of the same bytes.
    /// </summary>
    public static Dictionary<(int TermId, int TermOffset), int> DissectorDataFrameLengths(string txtName)
    {
        var result = new Dictionary<(int, int), int>();
        foreach (string line in File.ReadLines(PathOf(txtName)))
        {
            Match m = DataFrameLine().Match(line);
            if (m.Success)
            {
                int termId = unchecked((int)uint.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                result[(termId, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))] =
                    int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            }
        }

        return result;
    }

    [GeneratedRegex(@"Data Frame: Term 0x([0-9a-f]+), Ofs (\d+), Len (\d+)\(")]
    private static partial Regex DataFrameLine();

    /// <summary>
    /// apub's payload: int64 sequence number, int64 timestamp, then byte i = (sequence + i) mod 256. Checks that shape
    /// and returns the sequence number.
    /// </summary>
    public static long CheckApubPayload(ReadOnlySpan<byte> payload)
    {
        Assert.True(payload.Length >= 16, $"payload of {payload.Length} bytes");
        long seq = BinaryPrimitives.ReadInt64LittleEndian(payload);
        for (int i = 16; i < payload.Length; i++)
        {
            if (payload[i] != (byte)(seq + i))
            {
                Assert.Fail($"message {seq}: byte {i} is 0x{payload[i]:x2}, expected 0x{(byte)(seq + i):x2}");
            }
        }

        return seq;
    }

    /// <summary>Replays datagrams through a receiver, one clock tick per datagram, recording messages and control frames.</summary>
    public sealed class Replay
    {
        private readonly Dictionary<UdpEndpoint, int> _sourceIds = new();
        private readonly Dictionary<int, UdpEndpoint> _endpoints = new();

        public Replay(AeronReceiverOptions? options = null)
        {
            Receiver = new AeronReceiver(options ?? new AeronReceiverOptions { ReceiverId = 42 });
        }

        public AeronReceiver Receiver { get; }

        public List<ReceivedMessage> Messages { get; } = new();

        public List<SentFrame> Sent { get; } = new();

        public void Feed(UdpDatagram d) => Feed(d.Payload.Span, d.Source, d.TimestampNs);

        public void Feed(ReadOnlySpan<byte> datagram, UdpEndpoint source, long nowNs)
        {
            if (!_sourceIds.TryGetValue(source, out int id))
            {
                id = _sourceIds.Count + 1;
                _sourceIds[source] = id;
                _endpoints[id] = source;
            }

            var handler = new Collector(Messages);
            Receiver.OnDatagram(datagram, id, nowNs, ref handler);
            Tick(nowNs);
        }

        public void Tick(long nowNs)
        {
            Receiver.DoWork(nowNs);
            while (Receiver.Outbox.TryPeek(out ReadOnlySpan<byte> frame, out int destination))
            {
                Sent.Add(new SentFrame(nowNs, _endpoints[destination], frame.ToArray()));
                Receiver.Outbox.Dequeue();
            }
        }
    }

    public readonly record struct ReceivedMessage(byte[] Payload, int SessionId, int StreamId, long Position);

    public readonly record struct SentFrame(long TimeNs, UdpEndpoint Destination, byte[] Frame)
    {
        public FrameType Type => AeronFrame.Type(Frame);
    }

    public struct Collector(List<ReceivedMessage> sink) : IAeronMessageHandler
    {
        public readonly void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position) =>
            sink.Add(new ReceivedMessage(payload.ToArray(), sessionId, streamId, position));
    }
}
