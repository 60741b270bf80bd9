using System.Diagnostics;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;
using LowLatency.Engine.Ring;

namespace LowLatency.Adapters.Transport;

/// <summary>
/// Puts each valid message of the control stream (model promote, rollback, snapshot) into the pipeline's ring as a Control
/// slot, so it takes effect at a definite point of the inbound sequence and is journaled with it. Anything else is refused
/// and counted in <see cref="ControlCounters"/>, never put in the ring. Runs on the thread that produces inbound data
/// (the ring's single producer: the control endpoint is polled by the inbound endpoint's thread); <paramref name="duty"/> as in
/// <see cref="RingInboundHandler"/>.
/// </summary>
public readonly struct ControlInboundHandler(
    Sequencer sequencer, RingBuffer<PipelineSlot> ring, ControlCounters counters, InboundGate gate, Func<int>? duty = null)
    : Aeron.IAeronMessageHandler
{
    /// <inheritdoc/>
    public void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position)
    {
        if (!gate.IsOpen)
        {
            gate.CountRefused();
            return;
        }

        DecodeStatus status = ControlCodec.Decode(payload, out ControlMessage control, out _);
        if (status != DecodeStatus.Ok)
        {
            if (status is DecodeStatus.UnknownTemplate or DecodeStatus.WrongSchemaId)
            {
                counters.NotControl++;
            }
            else
            {
                counters.Malformed++;
            }

            return;
        }

        switch (control.Command)
        {
            case ControlCommand.PromoteModel when control.ModelVersion == 0:
                counters.MissingModelVersion++;
                return;
            case ControlCommand.PromoteModel:
                counters.Promote++;
                break;
            case ControlCommand.RollbackModel:
                counters.Rollback++;
                break;
            case ControlCommand.HoldModel or ControlCommand.ReleaseModel:
                counters.Hold++;
                break;
            default:
                counters.Snapshot++;
                break;
        }

        long sequence = RingClaim.Next(sequencer, duty);
        ref PipelineSlot slot = ref ring[sequence];
        slot.Kind = MessageKind.Control;
        slot.Rejected = false;
        slot.RejectReason = PipelineReject.None;
        slot.Control = control;
        slot.IngestTicks = Stopwatch.GetTimestamp();
        sequencer.Publish(sequence);
    }
}
