using System.Diagnostics;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Transport;

/// <summary>
/// The pipeline's output over Aeron: encodes each decision (with its reason codes) as an SBE Decision and offers it to the
/// decision publication. Decisions of one batch of ring slots are appended and sent together at the end of the batch
/// (<see cref="Flush"/>), so a burst leaves in full datagrams and a lone decision leaves at once. Back-pressure is
/// returned to the decide stage (it retries); with no gateway subscribed the decision is dropped and counted in
/// <see cref="DecisionSinkCounters.NotConnected"/> rather than stalling the engine. <paramref name="serviceWhileBackPressured"/>,
/// when the decide stage runs on the network thread, reads the decision socket between retries (the status message that
/// moves the window can only arrive that way).
/// </summary>
public readonly struct DecisionPublicationSink(UdpPublication publication, DecisionSinkCounters counters, Func<int>? serviceWhileBackPressured = null)
    : IDecisionSink
{
    private static readonly double NsPerTick = 1e9 / Stopwatch.Frequency;
    private readonly byte[] _buffer = new byte[DecisionCodec.MaxMessageLength];

    /// <inheritdoc/>
    public bool TryPublish(ref PipelineSlot slot)
    {
        long now = Stopwatch.GetTimestamp();
        slot.Decision.IngestTimeNs = (long)(slot.IngestTicks * NsPerTick);
        slot.Decision.DecideTimeNs = (long)(now * NsPerTick);
        Span<WireReason> reasons = stackalloc WireReason[ReasonBuffer.Capacity];
        int count = Math.Min((int)slot.ReasonCount, ReasonBuffer.Capacity);
        for (int i = 0; i < count; i++)
        {
            reasons[i] = new WireReason(slot.Reasons[i].FeatureId, slot.Reasons[i].Contribution);
        }

        int length = DecisionCodec.Encode(_buffer, slot.Decision, reasons[..count]);
        switch (publication.Offer(_buffer.AsSpan(0, length), send: false))
        {
            case OfferResult.Ok:
                counters.Published++;
                return true;
            case OfferResult.BackPressured:
                counters.BackPressured++;
                publication.Flush(); // what is already appended must go out for the window to move
                serviceWhileBackPressured?.Invoke();
                return false;
            case OfferResult.NotConnected:
                counters.NotConnected++;
                return true;
            default:
                counters.Failed++;
                return true;
        }
    }

    /// <inheritdoc/>
    public void OnOther(ref PipelineSlot slot) => counters.Others++;

    /// <inheritdoc/>
    public void Flush() => publication.Flush();
}
