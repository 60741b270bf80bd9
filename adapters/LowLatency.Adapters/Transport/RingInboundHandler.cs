using System.Diagnostics;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Pipeline;
using LowLatency.Engine.Ring;

namespace LowLatency.Adapters.Transport;

/// <summary>
/// Puts each inbound Aeron message into the pipeline: claims the next ring slot, decodes the SBE message from the receive
/// path's buffer straight into it (no intermediate copy or object), stamps the ingest time and publishes. A message that
/// fails to decode still occupies its claimed slot with kind None, so the pipeline counts it as a reject in sequence; the
/// decoder counts the reason. Runs on the endpoint's thread, the ring's single producer. Once <paramref name="gate"/>
/// closes (shutdown), messages are dropped and counted there instead. While the ring is full it keeps running
/// <paramref name="duty"/> (the decision socket; on a polled pipeline, the stages): see <see cref="RingClaim.Next"/>.
/// </summary>
public readonly struct RingInboundHandler(
    Sequencer sequencer, RingBuffer<PipelineSlot> ring, InboundDecoder decoder, InboundGate? gate = null, Func<int>? duty = null)
    : Aeron.IAeronMessageHandler
{
    private readonly InboundGate _gate = gate ?? new InboundGate();

    /// <inheritdoc/>
    public void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position)
    {
        if (!_gate.IsOpen)
        {
            _gate.CountRefused();
            return;
        }

        long sequence = RingClaim.Next(sequencer, duty);
        ref PipelineSlot slot = ref ring[sequence];
        decoder.Decode(payload, ref slot, out _);
        slot.IngestTicks = Stopwatch.GetTimestamp();
        sequencer.Publish(sequence);
    }
}
