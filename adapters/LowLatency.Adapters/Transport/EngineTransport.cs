using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Pipeline;
using LowLatency.Engine.Ring;

namespace LowLatency.Adapters.Transport;

/// <summary>
/// The engine's network edge: one UDP endpoint bound to the inbound address with an Aeron receiver for the inbound stream
/// (messages decoded into the pipeline's ring) and the decision publication to the gateway. Build it, create the pipeline
/// with <see cref="CreateSink"/>, then <see cref="Start"/> with the pipeline's ring.
/// </summary>
public sealed class EngineTransport : IDisposable
{
    /// <summary>Binds the inbound socket and prepares the decision publication (nothing runs until <see cref="Start"/>).</summary>
    public EngineTransport(EngineTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        // Each image allocates one term: cap what a SETUP may ask for (Aeron's UDP default, 16 MiB), so a SETUP flood
        // cannot make the engine allocate gigabytes.
        Receiver = new AeronReceiver(options.Receiver ?? new AeronReceiverOptions { StreamIds = [options.InboundStreamId], MaxTermLength = 16 * 1024 * 1024 });
        Endpoint = new AeronUdpEndpoint(new UdpEndpointOptions { Bind = options.Inbound, Idle = options.Idle }, Receiver);
        Decisions = Endpoint.AddPublication(options.Publication ?? new AeronPublicationOptions { StreamId = options.DecisionStreamId }, options.DecisionDestination);
    }

    /// <summary>The options in force.</summary>
    public EngineTransportOptions Options { get; }

    /// <summary>The socket endpoint (its <see cref="AeronUdpEndpoint.LocalEndPoint"/> is where gateways publish).</summary>
    public AeronUdpEndpoint Endpoint { get; }

    /// <summary>The inbound receiver (counters, images).</summary>
    public AeronReceiver Receiver { get; }

    /// <summary>The decision publication.</summary>
    public UdpPublication Decisions { get; }

    /// <summary>Decode outcomes of inbound messages.</summary>
    public InboundDecoder Decoder { get; } = new();

    /// <summary>What the decision sink did.</summary>
    public DecisionSinkCounters SinkCounters { get; } = new();

    /// <summary>The pipeline output that publishes decisions on this transport.</summary>
    public DecisionPublicationSink CreateSink() => new(Decisions, SinkCounters);

    /// <summary>
    /// Starts the endpoint thread feeding <paramref name="ring"/> through <paramref name="sequencer"/> (single producer).
    /// With <paramref name="poll"/> (a <see cref="PipelineOptions.PolledByCaller"/> pipeline's Poll) the same thread
    /// also runs the stages after each socket poll: one engine thread, nothing handed over or woken between them.
    /// </summary>
    public void Start(Sequencer sequencer, RingBuffer<PipelineSlot> ring, Func<int>? poll = null) =>
        Endpoint.Start(new RingInboundHandler(sequencer, ring, Decoder, poll), "engine-aeron", poll);

    /// <summary>Closes the decision publication (EOS, bounded linger on the endpoint thread) and the socket.</summary>
    public void Dispose()
    {
        Decisions.Close();
        Endpoint.Dispose();
    }
}
