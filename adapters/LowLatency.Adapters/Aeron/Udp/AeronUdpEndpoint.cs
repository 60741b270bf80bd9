using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace LowLatency.Adapters.Aeron.Udp;

/// <summary>
/// One UDP socket speaking Aeron: an optional <see cref="AeronReceiver"/> for the streams published to this address, and
/// any number of <see cref="UdpPublication"/>s sending from it (their SMs and NAKs come back to this socket, PROTOCOL.md
/// §8.1/§10). Each duty cycle reads up to a bounded number of datagrams into one preallocated buffer, dispatches them by
/// frame type (DATA/PAD/SETUP to the receiver, SM/NAK/ERR/RTTM to the publication they name), runs the receiver's timers,
/// sends its control frames and runs the publications. Nothing is allocated per datagram. Run it on its own thread with
/// <see cref="Start{THandler}"/>, or call <see cref="Poll{THandler}"/> from a thread you own.
/// </summary>
public sealed class AeronUdpEndpoint : IDisposable
{
    private readonly UdpEndpointOptions _options;
    private readonly Socket _socket;
    private readonly byte[] _buffer = GC.AllocateArray<byte>(64 * 1024, pinned: true);
    private readonly SocketAddress _from;
    private readonly SourceTable _sources;
    private readonly RecvMmsg? _batch;
    private readonly SourceAllowList? _allowed;
    private readonly Lock _refusedLock = new();
    private readonly SocketAddress _lastRefused;
    private UdpPublication[] _publications = [];
    private Thread? _thread;
    private volatile bool _running;
    private AeronUdpEndpoint? _host;
    private int _idleCycles;
    private long _dutyCycles;
    private long _refused;

    /// <summary>Binds the socket; <paramref name="receiver"/> (optional) gets every DATA/PAD/SETUP datagram.</summary>
    public AeronUdpEndpoint(UdpEndpointOptions options, AeronReceiver? receiver = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        Receiver = receiver;
        _socket = new Socket(options.Bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = options.ReceiveBufferSize,
            SendBufferSize = options.SendBufferSize,
        };
        _socket.Bind(options.Bind);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _from = new SocketAddress(options.Bind.AddressFamily);
        _lastRefused = new SocketAddress(options.Bind.AddressFamily) { Size = 0 };
        _allowed = options.AllowedSources;
        _sources = new SourceTable(16, options.Bind.AddressFamily);
        if (options.BatchedReceive && RecvMmsg.IsSupported)
        {
            _batch = new RecvMmsg(_socket);
        }
    }

    /// <summary>The bound address (with the actual port when the options asked for an ephemeral one).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The receiver fed by this endpoint, if any.</summary>
    public AeronReceiver? Receiver { get; }

    /// <summary>Datagrams read from the socket.</summary>
    public long DatagramsReceived { get; private set; }

    /// <summary>Datagrams nothing on this endpoint handles: control frames naming no publication of it, or data with no receiver (dropped).</summary>
    public long UnroutedControlFrames { get; private set; }

    /// <summary>Socket errors on receive (ICMP errors surfaced by the kernel; the datagram is skipped).</summary>
    public long ReceiveErrors { get; private set; }

    /// <summary>Datagrams dropped because their source is not in <see cref="UdpEndpointOptions.AllowedSources"/>.</summary>
    public long DatagramsRefused => Volatile.Read(ref _refused);

    /// <summary>The source of the latest refused datagram, or null when none was refused (for logs; any thread).</summary>
    public IPEndPoint? LastRefusedSource
    {
        get
        {
            lock (_refusedLock)
            {
                return _lastRefused.Size == 0 ? null : (IPEndPoint)LocalEndPoint.Create(_lastRefused);
            }
        }
    }

    /// <summary>
    /// Duty cycles the endpoint's own thread has completed. A thread that changed what the handlers do (closed a gate)
    /// waits for this to advance twice to know no handler call from before the change is still running.
    /// </summary>
    public long DutyCycles => Volatile.Read(ref _dutyCycles);

    /// <summary>Whether the endpoint's thread (its own, or a host's) is running.</summary>
    public bool IsRunning => _running;

    /// <summary>Adds a publication sending to <paramref name="destination"/>. Call before <see cref="Start{THandler}"/>.</summary>
    public UdpPublication AddPublication(AeronPublicationOptions options, IPEndPoint destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (_thread is not null)
        {
            throw new InvalidOperationException("Add publications before starting the endpoint's thread.");
        }

        var publication = new UdpPublication(new AeronPublication(options), _socket, destination, _options.BatchedSend);
        _publications = [.. _publications, publication];
        return publication;
    }

    /// <summary>
    /// Starts the endpoint's own thread; messages for the receiver go to <paramref name="handler"/> on that thread.
    /// <paramref name="duty"/>, when given, runs once per duty cycle after the socket was polled (the engine's scoring,
    /// so one thread receives, decodes, scores and publishes); it returns the work it did, which keeps the thread from
    /// idling while there is any.
    /// </summary>
    public void Start<THandler>(THandler handler, string name = "aeron-udp", Func<int>? duty = null)
        where THandler : IAeronMessageHandler
    {
        StartThread(() => Run(handler, null, default(NoMessages), duty), name);
    }

    /// <summary>
    /// Starts the endpoint's own thread and polls <paramref name="companion"/> (another endpoint, not started itself) on it
    /// in the same duty cycle (then <paramref name="duty"/>, as above), so the handlers of both run on one thread: both may then produce into one single-producer
    /// ring. When idle the thread parks on this endpoint's socket, so the companion's datagrams wait at most
    /// <see cref="UdpEndpointOptions.MaxParkMicroseconds"/>. Dispose this endpoint before the companion.
    /// </summary>
    public void Start<THandler, TCompanionHandler>(
        THandler handler, AeronUdpEndpoint companion, TCompanionHandler companionHandler, string name = "aeron-udp", Func<int>? duty = null)
        where THandler : IAeronMessageHandler
        where TCompanionHandler : IAeronMessageHandler
    {
        ArgumentNullException.ThrowIfNull(companion);
        if (ReferenceEquals(companion, this) || companion._thread is not null || companion._host is not null)
        {
            throw new InvalidOperationException("The companion endpoint must be another endpoint that is not running.");
        }

        companion._host = this;
        companion._running = true;
        StartThread(() => Run(handler, companion, companionHandler, duty), name);
    }

    private void StartThread(ThreadStart run, string name)
    {
        if (_thread is not null || _host is not null)
        {
            throw new InvalidOperationException("Already started.");
        }

        _running = true;
        _thread = new Thread(run) { Name = name, IsBackground = true };
        _thread.Start();
    }

    /// <summary>
    /// Stops the thread (if started) and closes the socket. A companion polled by another endpoint's thread stops that
    /// thread first (it must not poll a closed socket).
    /// </summary>
    public void Dispose()
    {
        if (_host is { } host)
        {
            host._running = false;
            host._thread?.Join();
        }

        _running = false;
        _thread?.Join();
        foreach (UdpPublication publication in _publications)
        {
            publication.Release();
        }

        _socket.Dispose();
        _batch?.Dispose();
    }

    /// <summary>
    /// One duty cycle: bounded receive and dispatch, receiver timers and control frames, publication work. Returns the amount
    /// of work done (0 = idle). Call from one thread only.
    /// </summary>
    public int Poll<THandler>(ref THandler handler)
        where THandler : IAeronMessageHandler, allows ref struct
    {
        long now = NanoClock.Now();
        int work = _batch is null ? ReceiveEach(now, ref handler) : ReceiveBatch(now, ref handler);
        AeronReceiver? receiver = Receiver;
        if (receiver is not null)
        {
            work += receiver.DoWork(now);
            work += SendControl(receiver.Outbox);
        }

        foreach (UdpPublication publication in _publications)
        {
            work += publication.DoWork(now);
        }

        return work;
    }

    /// <summary>
    /// One duty cycle for an endpoint that only publishes (no receiver): reads the status messages, NAKs and RTTMs that
    /// come back for its publications and sends what they allow. Safe to call from inside a pipeline stage: no inbound
    /// message is ever delivered from here. Always the same thread as the publications' other polls.
    /// </summary>
    public int PollPublications()
    {
        var none = default(NoMessages);
        return Poll(ref none);
    }

    private int ReceiveEach<THandler>(long now, ref THandler handler)
        where THandler : IAeronMessageHandler, allows ref struct
    {
        int work = 0;
        for (int i = 0; i < _options.MaxDatagramsPerPoll && _socket.Available > 0; i++)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(_buffer, SocketFlags.None, _from);
            }
            catch (SocketException)
            {
                ReceiveErrors++;
                continue;
            }

            DatagramsReceived++;
            work++;
            Dispatch(_buffer.AsSpan(0, length), now, ref handler);
        }

        return work;
    }

    private int ReceiveBatch<THandler>(long now, ref THandler handler)
        where THandler : IAeronMessageHandler, allows ref struct
    {
        int work = 0;
        while (work < _options.MaxDatagramsPerPoll)
        {
            int n = _batch!.Receive();
            if (n <= 0)
            {
                ReceiveErrors += n < 0 ? 1 : 0;
                break;
            }

            for (int i = 0; i < n; i++)
            {
                // The kernel's raw sockaddr is what SocketAddress holds on Linux, so replies go back through SendTo unchanged.
                ReadOnlySpan<byte> source = _batch.Source(i);
                source.CopyTo(_from.Buffer.Span);
                _from.Size = source.Length;
                DatagramsReceived++;
                Dispatch(_batch.Datagram(i), now, ref handler);
            }

            work += n;
            if (n < RecvMmsg.Capacity)
            {
                break;
            }

            // More is waiting: send the status messages this batch earned before reading on, so a streaming sender gets
            // its window back while we work through the rest instead of after the whole poll (a poll can read more
            // than a receiver window).
            if (Receiver is { } receiver)
            {
                receiver.DoWork(now);
                SendControl(receiver.Outbox);
            }
        }

        return work;
    }

    /// <summary>
    /// Waits after a cycle without work, as <see cref="UdpEndpointOptions.Idle"/> says. The backoff ends in poll() on the
    /// socket, which returns as soon as a datagram arrives, so an idle endpoint costs no CPU and still wakes in microseconds.
    /// </summary>
    public void Idle(int work)
    {
        if (work > 0)
        {
            _idleCycles = 0;
            return;
        }

        int n = ++_idleCycles;
        switch (_options.Idle)
        {
            case IdleStrategyKind.BusySpin:
                Thread.SpinWait(1);
                break;
            case IdleStrategyKind.Yielding:
                if (n < 64)
                {
                    Thread.SpinWait(1);
                }
                else
                {
                    Thread.Yield();
                }

                break;
            default:
                if (n < 16)
                {
                    Thread.SpinWait(1);
                }
                else if (n < 32)
                {
                    Thread.Yield();
                }
                else
                {
                    Park();
                }

                break;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Park()
    {
        try
        {
            _socket.Poll(_options.MaxParkMicroseconds, SelectMode.SelectRead);
        }
        catch (SocketException)
        {
            Thread.Sleep(0);
        }
        catch (ObjectDisposedException)
        {
            _running = false;
        }
    }

    private void Run<THandler, TCompanionHandler>(THandler handler, AeronUdpEndpoint? companion, TCompanionHandler companionHandler, Func<int>? duty)
        where THandler : IAeronMessageHandler
        where TCompanionHandler : IAeronMessageHandler
    {
        while (_running)
        {
            int work = Poll(ref handler);
            if (companion is not null)
            {
                work += companion.Poll(ref companionHandler);
            }

            if (duty is not null)
            {
                work += duty();
            }

            Idle(work);
            Volatile.Write(ref _dutyCycles, _dutyCycles + 1); // release: the handler calls of this cycle are complete
        }

        if (companion is not null)
        {
            companion._running = false;
        }

        // Let closed publications finish their EOS/linger without a caller having to poll.
        long deadline = NanoClock.Now() + 200_000_000;
        while (NanoClock.Now() < deadline && Array.Exists(_publications, p => p.Core.IsClosed && !p.IsFinished))
        {
            Idle(Poll(ref handler));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Dispatch<THandler>(ReadOnlySpan<byte> datagram, long now, ref THandler handler)
        where THandler : IAeronMessageHandler, allows ref struct
    {
        if (datagram.Length < AeronFrame.HeaderLength)
        {
            if (IsAllowed())
            {
                Receiver?.OnDatagram(datagram, 0, now, ref handler); // counted as a reject there
            }

            return;
        }

        switch (AeronFrame.Type(datagram))
        {
            case FrameType.StatusMessage:
            case FrameType.Nak:
            case FrameType.Error:
                RouteControl(datagram, now);
                return;
            case FrameType.Rttm:
                if (!TryPublications(datagram, now) && Receiver is not null && IsAllowed())
                {
                    Receiver.OnDatagram(datagram, _sources.IdOf(_from), now, ref handler);
                }

                return;
            default:
                if (!IsAllowed())
                {
                    return;
                }

                if (Receiver is not null)
                {
                    Receiver.OnDatagram(datagram, _sources.IdOf(_from), now, ref handler);
                }
                else
                {
                    UnroutedControlFrames++;
                }

                return;
        }
    }

    /// <summary>Whether the current datagram's source passes the allow-list; a refusal is counted (before the source table sees it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsAllowed()
    {
        if (_allowed is null || _allowed.Allows(_from))
        {
            return true;
        }

        Refuse();
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Refuse()
    {
        Volatile.Write(ref _refused, _refused + 1);
        Receiver?.Counters.Reject(ReceiverRejectReason.SourceNotAllowed);
        lock (_refusedLock)
        {
            _from.Buffer.Span[.._from.Size].CopyTo(_lastRefused.Buffer.Span);
            _lastRefused.Size = _from.Size;
        }
    }

    private void RouteControl(ReadOnlySpan<byte> datagram, long now)
    {
        if (!TryPublications(datagram, now))
        {
            UnroutedControlFrames++;
        }
    }

    private bool TryPublications(ReadOnlySpan<byte> datagram, long now)
    {
        foreach (UdpPublication publication in _publications)
        {
            if (publication.TryControl(datagram, now))
            {
                return true;
            }
        }

        return false;
    }

    private int SendControl(ControlOutbox outbox)
    {
        int sent = 0;
        while (outbox.TryPeek(out ReadOnlySpan<byte> frame, out int destination))
        {
            SocketAddress? address = _sources.AddressOf(destination);
            if (address is not null)
            {
                try
                {
                    _socket.SendTo(frame, SocketFlags.None, address);
                }
                catch (SocketException)
                {
                    // The peer will ask again (SMs are periodic, NAKs retried).
                }
            }

            outbox.Dequeue();
            sent++;
        }

        return sent;
    }

    /// <summary>The handler of a duty loop without a companion endpoint (never called).</summary>
    private readonly struct NoMessages : IAeronMessageHandler
    {
        public void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position)
        {
        }
    }
}
