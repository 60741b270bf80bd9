using LowLatency.Engine.Ring;

namespace LowLatency.Adapters.Transport;

/// <summary>How the network thread claims a ring slot for an inbound message.</summary>
internal static class RingClaim
{
    /// <summary>
    /// The next sequence. While the ring is full the endpoint stops reading, the kernel buffer fills and Aeron's flow
    /// control (status messages follow consumption) slows the publisher down. Meanwhile <paramref name="duty"/> keeps
    /// running: it reads the decision socket (so the stage that waits for the gateway's window can get it) and, on a
    /// polled pipeline, runs the stages, since this thread is then the ring's consumer and waiting would wait for itself.
    /// </summary>
    public static long Next(Sequencer sequencer, Func<int>? duty)
    {
        long sequence;
        while (!sequencer.TryNext(1, out sequence))
        {
            if ((duty?.Invoke() ?? 0) == 0)
            {
                Thread.Yield(); // the consumers hold the ring: let them run
            }
        }

        return sequence;
    }
}
