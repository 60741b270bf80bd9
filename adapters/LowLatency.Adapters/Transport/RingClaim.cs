using LowLatency.Engine.Ring;

namespace LowLatency.Adapters.Transport;

/// <summary>How the network thread claims a ring slot for an inbound message.</summary>
internal static class RingClaim
{
    /// <summary>
    /// The next sequence. While the ring is full the endpoint stops reading, the kernel buffer fills and Aeron's flow
    /// control (status messages follow consumption) slows the publisher down. With a stage thread, Next() waits for it;
    /// when this thread is itself the consumer (<paramref name="drain"/>: a polled pipeline's Poll), it processes until a
    /// slot is free, since waiting would wait for itself.
    /// </summary>
    public static long Next(Sequencer sequencer, Func<int>? drain)
    {
        if (drain is null)
        {
            return sequencer.Next();
        }

        long sequence;
        while (!sequencer.TryNext(1, out sequence))
        {
            if (drain() == 0)
            {
                Thread.Yield(); // only a side consumer (the journal) holds the ring: let it run
            }
        }

        return sequence;
    }
}
