using System.Buffers.Binary;
using LowLatency.Adapters.Files;
using LowLatency.Adapters.Tests.Aeron;
using static LowLatency.Adapters.Tests.Files.ReplayFixtures;

namespace LowLatency.Adapters.Tests.Files;

public sealed class PcapSourceTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_real_aeron_capture_yields_every_message_the_publisher_sent_in_order()
    {
        using var source = new PcapSource(Captures.PathOf("aeron-udp-sample.pcap"));
        long expected = 0;
        long last = 0;
        while (source.TryNext(out var m))
        {
            Assert.Equal(expected++, Captures.CheckApubPayload(m.Bytes));
            Assert.True(m.ReceiveTimeNs >= last);
            last = m.ReceiveTimeNs;
        }

        Assert.Equal(2000, expected);
        Assert.Null(source.CaptureError);
    }

    /// <summary>A classic pcap (microsecond, Ethernet) written by hand from the format spec, not by the reader under test.</summary>
    private static void WritePcap(string path, IEnumerable<byte[]> udpPayloads)
    {
        using var f = File.Create(path);
        var header = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), 1);
        f.Write(header);
        uint usec = 0;
        foreach (var payload in udpPayloads)
        {
            int frameLength = 14 + 20 + 8 + payload.Length;
            var frame = new byte[frameLength];
            frame[12] = 0x08; // EtherType IPv4
            var ip = frame.AsSpan(14);
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 8 + payload.Length));
            ip[8] = 64;
            ip[9] = 17; // UDP
            ip[12] = 127; ip[15] = 1; ip[16] = 127; ip[19] = 1;
            var udp = frame.AsSpan(34);
            BinaryPrimitives.WriteUInt16BigEndian(udp, 40123);
            BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 20121);
            BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload.Length));
            payload.CopyTo(frame.AsSpan(42));
            var record = new byte[16];
            usec += 1000; // 1 ms apart: the receiver's status messages (every 200 ms) keep the window open as a real sender would see
            BinaryPrimitives.WriteUInt32LittleEndian(record, 1_700_000_000 + (usec / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), usec % 1_000_000);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), (uint)frameLength);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)frameLength);
            f.Write(record);
            f.Write(frame);
        }
    }

    [Fact]
    public void A_capture_of_sbe_traffic_with_duplicates_and_reordering_decides_like_the_messages_themselves()
    {
        var messages = SimulatedMessages(3000, seed: 21);
        var stream = new TestStream(sessionId: 7, streamId: 1001, initialTermId: 100, termLength: 64 * 1024);
        var datagrams = new List<byte[]> { stream.Setup() };
        foreach (var m in messages)
        {
            stream.Append(m);
        }

        // One frame per datagram, PAD frames at term ends included.
        for (int i = 0; i < stream.Frames.Count; i++)
        {
            datagrams.Add(stream.Datagram(i));
        }

        // Network weather: swap some neighbours, duplicate some datagrams (the receiver must restore order and drop copies).
        var rng = new Random(3);
        for (int i = 2; i < datagrams.Count - 1; i += rng.Next(20, 60))
        {
            (datagrams[i], datagrams[i + 1]) = (datagrams[i + 1], datagrams[i]);
        }

        for (int i = 2; i < datagrams.Count; i += rng.Next(30, 90))
        {
            datagrams.Insert(i, datagrams[i - 1]);
        }

        string pcap = Path.Combine(_dir, "sbe.pcap");
        WritePcap(pcap, datagrams);
        string frames = Path.Combine(_dir, "sbe.frames");
        using (var f = File.Create(frames))
        {
            f.Write(FramesSource.Magic);
            foreach (var m in messages)
            {
                f.Write(BitConverter.GetBytes(m.Length));
                f.Write(m);
            }
        }

        byte[] viaCapture, viaFrames;
        using (var source = new PcapSource(pcap))
        {
            (viaCapture, var result) = Replay(source);
            var c = source.Receiver.Counters;
            Assert.True(messages.Count == result.Messages, $"{result.Messages} messages; gaps {c.GapsDetected}, dup {c.DuplicateFrames}, rejected {c.TotalRejected}: {string.Join(", ", Enum.GetValues<LowLatency.Adapters.Aeron.ReceiverRejectReason>().Where(r => c.Rejected(r) > 0).Select(r => $"{r}={c.Rejected(r)}"))}, images {c.ImagesCreated}/{c.ImagesRemoved}, eos {c.EndOfStreams}, discarded {c.FragmentsDiscarded}");
            Assert.True(source.Receiver.Counters.DuplicateFrames > 0);
        }

        using (var source = new FramesSource(frames))
        {
            (viaFrames, _) = Replay(source);
        }

        Assert.True(viaFrames.Length > 10_000);
        Assert.Equal(viaFrames, viaCapture);
    }
}
