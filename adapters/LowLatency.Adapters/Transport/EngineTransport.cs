using System.Diagnostics;
using System.Net;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Pipeline;
using LowLatency.Engine.Ring;

namespace LowLatency.Adapters.Transport;

/// <summary>
/// The engine's network edge: one UDP endpoint bound to the inbound address with an Aeron receiver for the inbound stream
/// (messages decoded into the pipeline's ring); the decision publication to the gateway on a socket of its own (an
/// ephemeral port on the inbound address, as an Aeron sender has its own channel endpoint), so its status messages and
/// NAKs can be read whatever the inbound side is doing — a full ring or a stage waiting for the gateway's window never
/// stops the window from moving; and optionally a control endpoint (its own address and stream, loopback by default)
/// whose commands enter the same ring. Build it, create the pipeline with <see cref="CreateSink"/>, then
/// <see cref="Start"/> with the pipeline's ring. One thread runs all endpoints, so the ring keeps a single producer.
/// </summary>
public sealed class EngineTransport : IDisposable
{
    /// <summary>Binds the inbound (and control) sockets and prepares the decision publication (nothing runs until <see cref="Start"/>).</summary>
    public EngineTransport(EngineTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        // Each image allocates one term: cap what a SETUP may ask for (Aeron's UDP default, 16 MiB), so a SETUP flood
        // cannot make the engine allocate gigabytes.
        Receiver = new AeronReceiver(options.Receiver ?? new AeronReceiverOptions { StreamIds = [options.InboundStreamId], MaxTermLength = 16 * 1024 * 1024 });
        Endpoint = new AeronUdpEndpoint(new UdpEndpointOptions { Bind = options.Inbound, Idle = options.Idle, AllowedSources = options.AllowedSources }, Receiver);
        try
        {
            DecisionEndpoint = new AeronUdpEndpoint(new UdpEndpointOptions { Bind = new IPEndPoint(options.Inbound.Address, 0), Idle = options.Idle });
            Decisions = DecisionEndpoint.AddPublication(options.Publication ?? new AeronPublicationOptions { StreamId = options.DecisionStreamId }, options.DecisionDestination);
            if (options.Control is not null)
            {
                // Control messages are small and rare: small terms, few images.
                ControlReceiver = new AeronReceiver(new AeronReceiverOptions { StreamIds = [options.ControlStreamId], MaxTermLength = 1024 * 1024, MaxImages = 4 });
                ControlEndpoint = new AeronUdpEndpoint(
                    new UdpEndpointOptions
                    {
                        Bind = options.Control, AllowedSources = options.ControlAllowedSources, BatchedReceive = false,
                        ReceiveBufferSize = 256 * 1024, SendBufferSize = 256 * 1024,
                    },
                    ControlReceiver);
            }
        }
        catch
        {
            DecisionEndpoint?.Dispose();
            Endpoint.Dispose();
            throw;
        }
    }

    /// <summary>The socket the decisions leave from and their status messages and NAKs come back to.</summary>
    public AeronUdpEndpoint DecisionEndpoint { get; }

    /// <summary>The options in force.</summary>
    public EngineTransportOptions Options { get; }

    /// <summary>The socket endpoint (its <see cref="AeronUdpEndpoint.LocalEndPoint"/> is where gateways publish).</summary>
    public AeronUdpEndpoint Endpoint { get; }

    /// <summary>The inbound receiver (counters, images).</summary>
    public AeronReceiver Receiver { get; }

    /// <summary>The control endpoint, when <see cref="EngineTransportOptions.Control"/> names one.</summary>
    public AeronUdpEndpoint? ControlEndpoint { get; }

    /// <summary>The control stream's receiver (its rejects count refused sources), when there is a control endpoint.</summary>
    public AeronReceiver? ControlReceiver { get; }

    /// <summary>What the control stream carried.</summary>
    public ControlCounters ControlCounters { get; } = new();

    /// <summary>The decision publication.</summary>
    public UdpPublication Decisions { get; }

    /// <summary>Decode outcomes of inbound messages.</summary>
    public InboundDecoder Decoder { get; } = new();

    /// <summary>What the decision sink did.</summary>
    public DecisionSinkCounters SinkCounters { get; } = new();

    /// <summary>Open until <see cref="StopAccepting"/>; counts messages refused after that.</summary>
    public InboundGate Gate { get; } = new();

    /// <summary>
    /// The pipeline output that publishes decisions on this transport. <paramref name="stagesOnNetworkThread"/>: the
    /// pipeline is polled by the network thread (<see cref="PipelineOptions.PolledByCaller"/>), so while the gateway's
    /// window is full the sink itself reads the decision socket (nobody else could).
    /// </summary>
    public DecisionPublicationSink CreateSink(bool stagesOnNetworkThread = false) =>
        new(Decisions, SinkCounters, stagesOnNetworkThread ? DecisionEndpoint.PollPublications : null, Options.SubscriberWait);

    /// <summary>
    /// Starts the endpoint thread feeding <paramref name="ring"/> through <paramref name="sequencer"/> (single producer),
    /// and the control endpoint on the same thread when there is one. With <paramref name="poll"/> (a
    /// <see cref="PipelineOptions.PolledByCaller"/> pipeline's Poll) that thread also runs the stages after each socket
    /// poll: one engine thread, nothing handed over or woken between them. The decision socket is read on that thread too.
    /// </summary>
    public void Start(Sequencer sequencer, RingBuffer<PipelineSlot> ring, Func<int>? poll = null)
    {
        // The decision socket is read every duty cycle, and also while a message waits for ring space.
        Func<int> decisions = DecisionEndpoint.PollPublications;
        Func<int> duty = poll is null ? decisions : () => decisions() + poll();
        var inbound = new RingInboundHandler(sequencer, ring, Decoder, Gate, duty);
        if (ControlEndpoint is null)
        {
            Endpoint.Start(inbound, "engine-aeron", duty);
        }
        else
        {
            Endpoint.Start(inbound, ControlEndpoint, new ControlInboundHandler(sequencer, ring, ControlCounters, Gate, duty), "engine-aeron", duty);
        }
    }

    /// <summary>
    /// First step of a clean shutdown: closes the gate, then waits (bounded) until the endpoint thread has finished the
    /// duty cycle that might have been past the gate's check, so that nothing more is published into the ring; from then
    /// on the ring's cursor is final and the pipeline can be drained. The thread keeps running: decisions still leave and
    /// flow control is still answered. Returns false if the thread did not complete two cycles within the timeout.
    /// </summary>
    public bool StopAccepting(TimeSpan timeout)
    {
        Gate.Close();
        if (!Endpoint.IsRunning)
        {
            return true;
        }

        long target = Endpoint.DutyCycles + 2;
        var clock = Stopwatch.StartNew();
        while (Endpoint.DutyCycles < target)
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    /// <summary>
    /// Waits (bounded) until every decision offered has been sent within the gateway's window and, when a gateway is
    /// connected, for nothing to remain unsent. Returns whether the publication's sender caught up with its tail.
    /// </summary>
    public bool FlushDecisions(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Decisions.Core.SenderPosition < Decisions.Core.Position)
        {
            if (clock.Elapsed > timeout || !Decisions.IsConnected)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    /// <summary>
    /// Closes the decision publication: the endpoint thread sends end-of-stream heartbeats until the gateway acknowledges
    /// them or <paramref name="linger"/> passes. Returns whether the publication finished (acknowledged or timed out inside it).
    /// </summary>
    public bool CloseDecisions(TimeSpan linger)
    {
        Decisions.Close();
        var clock = Stopwatch.StartNew();
        while (!Decisions.IsFinished && clock.Elapsed < linger && Endpoint.IsRunning)
        {
            Thread.Sleep(1);
        }

        return Decisions.IsFinished;
    }

    /// <summary>Closes the decision publication (EOS, bounded linger) and the sockets.</summary>
    public void Dispose()
    {
        Decisions.Close();
        Endpoint.Dispose();
        ControlEndpoint?.Dispose();
        // The network thread has stopped: finish the end-of-stream linger here (bounded), then close the decision socket.
        var clock = Stopwatch.StartNew();
        while (!Decisions.IsFinished && clock.ElapsedMilliseconds < 200)
        {
            if (DecisionEndpoint.PollPublications() == 0)
            {
                Thread.Sleep(1);
            }
        }

        DecisionEndpoint.Dispose();
    }
}
