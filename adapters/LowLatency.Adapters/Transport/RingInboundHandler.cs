using System.Diagnostics;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Pipeline;
using LowLatency.Engine.Ring;

namespace LowLatency.Adapters.Transport;

/// <summary>
/// Puts each inbound Aeron message into the pipeline: claims the next ring slot, decodes the SBE message from the receive
/// path's buffer straight into it (no intermediate copy or object), stamps the ingest time and publishes. A message that
/// fails to decode still occupies its claimed slot with kind None, so the pipeline counts it as a reject in sequence; the
/// decoder counts the reason. Runs on the endpoint's thread, the ring's single producer. When that same thread also runs
/// the stages (<paramref name="drain"/>, the pipeline's Poll), a full ring is emptied by processing rather than waited on.
/// </summary>
public readonly struct RingInboundHandler(Sequencer sequencer, RingBuffer<PipelineSlot> ring, InboundDecoder decoder, Func<int>? drain = null)
    : Aeron.IAeronMessageHandler
{
    /// <inheritdoc/>
    public void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position)
    {
        // While the ring is full the endpoint stops reading, the kernel buffer fills and Aeron's flow control (SMs follow
        // consumption) slows the publisher down. With a stage thread Next() waits for it; on a polled pipeline this thread
        // is the consumer, so it processes until a slot is free (waiting would wait for itself).
        long sequence;
        if (drain is null)
        {
            sequence = sequencer.Next();
        }
        else
        {
            while (!sequencer.TryNext(1, out sequence))
            {
                if (drain() == 0)
                {
                    Thread.Yield(); // only a side consumer (the journal) holds the ring: let it run
                }
            }
        }

        ref PipelineSlot slot = ref ring[sequence];
        decoder.Decode(payload, ref slot, out _);
        slot.IngestTicks = Stopwatch.GetTimestamp();
        sequencer.Publish(sequence);
    }
}
