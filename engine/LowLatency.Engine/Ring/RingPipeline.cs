namespace LowLatency.Engine.Ring;

/// <summary>Whether one thread or several publish into a ring.</summary>
public enum ProducerType
{
    /// <summary>Exactly one publishing thread (cheapest claims).</summary>
    Single,
    /// <summary>Any number of publishing threads.</summary>
    Multi,
}

/// <summary>
/// A ring with a graph of consumers: <c>var a = p.Add(h1); var b = p.Add(h2); p.Add(h3, after: [a, b]);</c> runs
/// h1 and h2 in parallel on every slot and h3 after both. Producers are gated on the consumers nothing
/// else depends on. Each consumer gets a dedicated thread on <see cref="Start"/>;
/// <see cref="DrainAndHalt"/> stops them after everything published has been handled by all.
/// </summary>
public sealed class RingPipeline<T> : IDisposable
    where T : unmanaged
{
    private readonly List<IEventProcessor> _processors = [];
    private readonly List<Thread> _threads = [];
    private readonly HashSet<Sequence> _dependedOn = [];
    private readonly Action<Exception, long>? _onFault;
    private bool _started;

    /// <summary>Creates the ring (<paramref name="size"/> slots, a power of two) and its sequencer.</summary>
    public RingPipeline(int size, ProducerType producers, Action<Exception, long>? onFault = null)
    {
        Ring = new RingBuffer<T>(size);
        Sequencer = producers == ProducerType.Single ? new SingleProducerSequencer(size) : new MultiProducerSequencer(size);
        _onFault = onFault;
    }

    /// <summary>The slots.</summary>
    public RingBuffer<T> Ring { get; }

    /// <summary>The producers' sequencer.</summary>
    public Sequencer Sequencer { get; }

    /// <summary>The consumers, in the order added.</summary>
    public IReadOnlyList<IEventProcessor> Processors => _processors;

    /// <summary>Adds a consumer that runs after <paramref name="after"/> (or straight after the producers); returns its progress sequence.</summary>
    public Sequence Add<THandler, TWait>(THandler handler, TWait wait, params Sequence[] after)
        where THandler : struct, IEventHandler<T>
        where TWait : struct, IWaitStrategy
    {
        var processor = new BatchEventProcessor<T, THandler, TWait>(Ring, NewBarrier(after, typeof(TWait) == typeof(BlockingWait)), handler, wait, _onFault);
        _processors.Add(processor);
        return processor.Sequence;
    }

    /// <summary>Adds a consumer with <see cref="YieldingWait"/>.</summary>
    public Sequence Add<THandler>(THandler handler, params Sequence[] after)
        where THandler : struct, IEventHandler<T> => Add(handler, default(YieldingWait), after);

    /// <summary>Adds a consumer driven by the caller's thread (single-thread topology).</summary>
    public EventPoller<T> AddPoller(params Sequence[] after)
    {
        var poller = new EventPoller<T>(Ring, NewBarrier(after, blocking: false));
        _pollers.Add(poller);
        return poller;
    }

    private readonly List<EventPoller<T>> _pollers = [];

    /// <summary>Registers the gating sequences and starts one thread per consumer.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_started)
        {
            throw new InvalidOperationException("The pipeline is already started.");
        }

        _started = true;
        var terminal = _processors.Select(p => p.Sequence).Concat(_pollers.Select(p => p.Sequence)).Where(s => !_dependedOn.Contains(s)).ToArray();
        Sequencer.AddGatingSequences(terminal);
        for (int i = 0; i < _processors.Count; i++)
        {
            var processor = _processors[i];
            var thread = new Thread(processor.Run) { IsBackground = true, Name = $"ring-consumer-{i}" };
            _threads.Add(thread);
            thread.Start();
        }
    }

    /// <summary>
    /// Waits until every consumer has handled everything published so far (bounded by <paramref name="timeout"/>),
    /// then stops them. Returns false when the timeout passed first (the consumers are stopped anyway).
    /// </summary>
    public bool DrainAndHalt(TimeSpan timeout)
    {
        // Scan publication from the slowest consumer on: with several producers, availability flags below that point
        // belong to later laps of the ring, and a scan from 0 would stop at once (drained = nothing to wait for).
        long slowest = long.MaxValue;
        foreach (var p in _processors)
        {
            slowest = Math.Min(slowest, p.Sequence.Value);
        }

        long cursor = Sequencer.Cursor.Value;
        long target = slowest == long.MaxValue ? cursor : Sequencer.GetHighestPublished(slowest + 1, cursor);
        var deadline = DateTime.UtcNow + timeout;
        bool drained = true;
        while (_processors.Any(p => p.Sequence.Value < target))
        {
            if (DateTime.UtcNow > deadline)
            {
                drained = false;
                break;
            }

            Thread.Sleep(1);
        }

        Halt();
        return drained;
    }

    /// <summary>Stops the consumers after their current batch and joins their threads.</summary>
    public void Halt()
    {
        foreach (var p in _processors)
        {
            p.Halt();
        }

        foreach (var t in _threads)
        {
            t.Join();
        }

        _threads.Clear();
    }

    private bool _disposed;

    /// <summary>Halts the consumers.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Halt();
        }
    }

    private SequenceBarrier NewBarrier(Sequence[] after, bool blocking)
    {
        if (_started)
        {
            throw new InvalidOperationException("Add consumers before Start.");
        }

        foreach (var s in after)
        {
            _dependedOn.Add(s);
        }

        if (blocking)
        {
            Sequencer.EnableBlockingSignal();
        }

        return new SequenceBarrier(Sequencer, after);
    }
}
