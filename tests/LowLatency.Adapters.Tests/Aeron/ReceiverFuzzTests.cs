using LowLatency.Adapters.Aeron;
using static LowLatency.Adapters.Tests.Aeron.Captures;

namespace LowLatency.Adapters.Tests.Aeron;

/// <summary>Mutations of real frames from every capture through the receiver: nothing throws, rejects are counted.</summary>
public sealed class ReceiverFuzzTests
{
    [Fact]
    public void A_million_mutated_real_frames_never_throw_and_every_datagram_is_accounted_for()
    {
        var corpus = new List<byte[]>();
        foreach (string name in new[] { "aeron-udp-sample.pcap", "aeron-udp-loss.pcap", "aeron-udp-frag.pcap", "aeron-udp-rejoin.pcap" })
        {
            corpus.AddRange(Read(name).Select(d => d.Payload.ToArray()));
        }

        var rng = new Random(20261123);
        var handler = new Sink();
        var buffer = new byte[2048];
        const int Mutations = 1_000_000;
        long fed = 0;
        AeronReceiver receiver = NewReceiver();
        long now = 0;
        for (int i = 0; i < Mutations; i++)
        {
            if ((i & 0xFFFF) == 0)
            {
                receiver = NewReceiver(); // fresh images now and then so SETUP/creation paths keep being hit
            }

            byte[] source = corpus[rng.Next(corpus.Count)];
            int length = Math.Min(source.Length, buffer.Length);
            source.AsSpan(0, length).CopyTo(buffer);
            switch (rng.Next(6))
            {
                case 0: // a few random bytes
                    for (int k = rng.Next(1, 4); k > 0; k--)
                    {
                        buffer[rng.Next(length)] = (byte)rng.Next(256);
                    }

                    break;
                case 1: // a header field set to an edge value
                    int at = rng.Next(Math.Max(1, Math.Min(length, 44) - 3));
                    int value = rng.Next(5) switch { 0 => 0, 1 => -1, 2 => int.MaxValue, 3 => int.MinValue, _ => rng.Next() };
                    if (at + 4 <= length)
                    {
                        BitConverter.TryWriteBytes(buffer.AsSpan(at), value);
                    }

                    break;
                case 2: // truncated
                    length = rng.Next(length + 1);
                    break;
                case 3: // extended with junk
                    int extra = rng.Next(1, 64);
                    length = Math.Min(buffer.Length, length + extra);
                    rng.NextBytes(buffer.AsSpan(length - extra, extra));
                    break;
                case 4: // bit flip
                    buffer[rng.Next(Math.Max(1, length))] ^= (byte)(1 << rng.Next(8));
                    break;
                default: // unmodified: keeps images alive and moving
                    break;
            }

            now += rng.Next(1000, 2_000_000);
            receiver.OnDatagram(buffer.AsSpan(0, length), rng.Next(1, 3), now, ref handler);
            receiver.DoWork(now);
            receiver.Outbox.Clear();
            fed++;
        }

        Assert.Equal(Mutations, fed);
        Assert.True(handler.Messages > 0);
        Assert.True(receiver.Counters.TotalRejected > 0);
    }

    private static AeronReceiver NewReceiver() => new(new AeronReceiverOptions { ReceiverId = 1, MaxTermLength = 16 * 1024 * 1024 });

    private struct Sink : IAeronMessageHandler
    {
        public long Messages;

        public void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position) => Messages++;
    }
}
