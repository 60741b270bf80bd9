using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Gateway;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Load;

/// <summary>
/// <see cref="OpenLoopDriver"/> over the wire: sends simulator events through a <see cref="GatewayClient{TListener}"/> at a
/// fixed offered rate, open loop (event i is due at start + i / rate), passing each transaction's due time as its send
/// ticks so the listener measures latency from when it was due. Back-pressure delays the send (and shows as lag and
/// latency), it never drops an event. Rate 0 sends as fast as the publication accepts.
/// </summary>
public sealed class GatewayLoadDriver(IFlowSource source, TruthBoard truth)
{
    // One scratch slot for the source to write into (a PipelineSlot is large: on the heap, allocated once).
    private readonly PipelineSlot[] _slot = new PipelineSlot[1];

    /// <summary>Drives <paramref name="client"/> for <paramref name="duration"/> or until cancelled.</summary>
    public DriveResult Run<TListener>(GatewayClient<TListener> client, double rate, TimeSpan duration, CancellationToken cancel = default)
        where TListener : struct, IDecisionListener
    {
        ArgumentNullException.ThrowIfNull(client);
        var clock = new OpenLoopSchedule(rate, duration);
        // A client without its own receive thread is polled here, between sends: decisions come back on the driver's
        // thread, and the process has one thread fewer competing for the cores.
        Func<int>? poll = client.Options.OwnThread ? null : client.Poll;
        long transactions = 0, labels = 0;
        for (long i = 0; clock.Running && !cancel.IsCancellationRequested; i++)
        {
            long due = clock.WaitUntilDue(i, poll);
            ref PipelineSlot e = ref _slot[0];
            source.Next(ref e, out GroundTruth groundTruth);
            int spins = 0;
            if (e.Kind == MessageKind.Transaction)
            {
                truth.Set(e.Transaction.TxId, groundTruth);
                while (client.SendTransaction(e.Transaction, due) != OfferResult.Ok && !cancel.IsCancellationRequested)
                {
                    Backoff(ref spins, poll);
                }

                transactions++;
            }
            else if (e.Kind != MessageKind.Label)
            {
                ThrowUnsupported(e.Kind);
            }
            else
            {
                while (client.SendLabel(e.Label) != OfferResult.Ok && !cancel.IsCancellationRequested)
                {
                    Backoff(ref spins, poll);
                }

                labels++;
            }

            clock.Sent(due);
        }

        return new DriveResult(transactions, labels, clock.Elapsed, clock.MaxLagNs);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowUnsupported(MessageKind kind) =>
        throw new NotSupportedException($"The gateway client does not publish {kind} messages; run this flow in process.");

    private static void Backoff(ref int spins, Func<int>? poll)
    {
        // Refused offers wait for the engine's status messages, which a polled client only reads here.
        if (poll is not null && poll() > 0)
        {
            return;
        }

        if (++spins < 50)
        {
            Thread.SpinWait(10);
        }
        else
        {
            Thread.Yield();
        }
    }
}
