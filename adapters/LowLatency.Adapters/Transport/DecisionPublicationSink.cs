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
/// returned to the decide stage (it retries). With no gateway subscribed the decide stage first waits up to
/// <paramref name="subscriberWait"/> (counted in <see cref="DecisionSinkCounters.AwaitingSubscriber"/>): a gateway that has
/// just connected may send its first transactions before the engine has read its first status message, and those decisions
/// must not be lost. After that wait the decision is dropped and counted in <see cref="DecisionSinkCounters.NotConnected"/>,
/// as is every later one until a gateway subscribes again, rather than stalling the engine. <paramref name="serviceWhileBackPressured"/>,
/// when the decide stage runs on the network thread, reads the decision socket between retries (the status message that
/// moves the window can only arrive that way).
/// </summary>
public readonly struct DecisionPublicationSink(
    UdpPublication publication, DecisionSinkCounters counters, Func<int>? serviceWhileBackPressured = null, TimeSpan subscriberWait = default)
    : IDecisionSink
{
    private static readonly double NsPerTick = 1e9 / Stopwatch.Frequency;
    private readonly byte[] _buffer = new byte[DecisionCodec.MaxMessageLength];
    private readonly SubscriberWait _wait = new((long)(subscriberWait.TotalSeconds * Stopwatch.Frequency));

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
                _wait.Connected();
                return true;
            case OfferResult.BackPressured:
                counters.BackPressured++;
                publication.Flush(); // what is already appended must go out for the window to move
                serviceWhileBackPressured?.Invoke();
                return false;
            case OfferResult.NotConnected when _wait.KeepWaiting(now):
                counters.AwaitingSubscriber++;
                serviceWhileBackPressured?.Invoke(); // the first status message may be waiting in the decision socket
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

/// <summary>
/// One not-connected episode of the decision publication: the decide stage waits for a subscriber at most the grace time
/// from the first refused offer, then gives up until an offer succeeds again (so a gateway that is gone costs one wait,
/// not one per decision). Used by one thread, the decide stage's.
/// </summary>
internal sealed class SubscriberWait(long graceTicks)
{
    private long _sinceTicks;
    private bool _waiting;
    private bool _gaveUp;

    /// <summary>Whether to retry the refused offer at <paramref name="nowTicks"/> (false: drop it).</summary>
    public bool KeepWaiting(long nowTicks)
    {
        if (_gaveUp)
        {
            return false;
        }

        if (!_waiting)
        {
            _waiting = true;
            _sinceTicks = nowTicks;
        }

        if (nowTicks - _sinceTicks < graceTicks)
        {
            return true;
        }

        _gaveUp = true;
        return false;
    }

    /// <summary>An offer succeeded: the next refusal starts a new episode.</summary>
    public void Connected()
    {
        _waiting = false;
        _gaveUp = false;
    }
}
