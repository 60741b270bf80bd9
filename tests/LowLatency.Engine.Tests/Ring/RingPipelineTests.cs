using LowLatency.Engine.Ring;

namespace LowLatency.Engine.Tests.Ring;

public class RingPipelineTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="count"/> threads and joins them within the bound.</summary>
    private static bool RunThreads(int count, Action<int> body)
    {
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() => body(i)) { IsBackground = true }).ToArray();
        foreach (var t in threads)
        {
            t.Start();
        }

        var deadline = DateTime.UtcNow + Bound;
        return threads.All(t => t.Join(deadline - DateTime.UtcNow is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero));
    }

    private static void Produce(Sequencer sequencer, RingBuffer<TestEvent> ring, int producer, long count, int batch)
    {
        for (long i = 0; i < count;)
        {
            int n = (int)Math.Min(batch, count - i);
            long hi = sequencer.Next(n);
            long lo = hi - n + 1;
            for (long s = lo; s <= hi; s++)
            {
                ref var e = ref ring[s];
                e.Producer = producer;
                e.Counter = i++;
                e.StampA = 0;
                e.StampB = 0;
            }

            sequencer.Publish(lo, hi);
        }
    }

    [Fact]
    public void Four_producers_times_a_million_events_reach_every_handler_exactly_once_and_in_order_per_producer()
    {
        const int Producers = 4;
        const long PerProducer = 1_000_000;
        using var pipeline = new RingPipeline<TestEvent>(1 << 14, ProducerType.Multi);
        var logA = new OrderLog(Producers);
        var logB = new OrderLog(Producers);
        pipeline.Add(new OrderCheckingHandler(logA));
        pipeline.Add(new OrderCheckingHandler(logB), new BlockingWait());
        pipeline.Start();

        Assert.True(RunThreads(Producers, p => Produce(pipeline.Sequencer, pipeline.Ring, p, PerProducer, batch: 1 + (p * 3))), "producers did not finish in time");
        Assert.True(pipeline.DrainAndHalt(Bound), "consumers did not drain in time");

        foreach (var log in new[] { logA, logB })
        {
            Assert.Null(log.FirstViolation);
            Assert.Equal(Producers * PerProducer, log.Seen);
            Assert.All(log.Last, last => Assert.Equal(PerProducer - 1, last));
        }
    }

    private static DependencyLog RunDiamond(bool declareDependency, long events)
    {
        using var pipeline = new RingPipeline<TestEvent>(1 << 10, ProducerType.Single);
        var log = new DependencyLog();
        // Without the barrier, stage A holds its first slot until the dependent stage has seen one: the race the barrier
        // prevents then happens on every run, however the threads are scheduled. With it, nothing is held.
        using var seenFirst = declareDependency ? null : new ManualResetEventSlim();
        var a = pipeline.Add(new StampHandler(isA: true, work: 20, holdFirst: seenFirst));
        var b = pipeline.Add(new StampHandler(isA: false, work: 5));
        Sequence[] after = declareDependency ? [a, b] : [];
        pipeline.Add(new DependencyCheckHandler(log, seenFirst), after);
        pipeline.Start();
        Produce(pipeline.Sequencer, pipeline.Ring, 0, events, batch: 8);
        Assert.True(pipeline.DrainAndHalt(Bound));
        return log;
    }

    [Fact]
    public void A_dependent_handler_never_sees_a_slot_before_both_predecessors_finished_it()
    {
        var log = RunDiamond(declareDependency: true, events: 500_000);
        Assert.Equal(500_000, log.Seen);
        Assert.Equal(0, log.Violations);
    }

    [Fact]
    public void The_dependency_check_detects_a_handler_wired_without_its_dependencies()
    {
        // Proves the harness above can fail: the same graph with the barrier omitted is caught.
        var log = RunDiamond(declareDependency: false, events: 200_000);
        Assert.True(log.Violations > 0, "the check should have caught slots seen before their predecessors finished");
    }

    [Fact]
    public void Drain_and_halt_loses_nothing_already_published_even_behind_a_slow_consumer()
    {
        using var pipeline = new RingPipeline<TestEvent>(64, ProducerType.Single);
        var log = new OrderLog(1);
        var slow = pipeline.Add(new StampHandler(isA: true, work: 2_000), new SleepingWait());
        pipeline.Add(new OrderCheckingHandler(log), new SleepingWait(), slow);
        pipeline.Start();
        Produce(pipeline.Sequencer, pipeline.Ring, 0, 20_000, batch: 1);
        Assert.True(pipeline.DrainAndHalt(Bound));
        Assert.Null(log.FirstViolation);
        Assert.Equal(20_000, log.Seen);
    }

    [Fact]
    public void Drain_and_halt_with_several_producers_waits_for_the_backlog_after_the_ring_has_wrapped()
    {
        // Regression: the drain target was computed by scanning availability from sequence 0, whose flag a later
        // lap had overwritten, so the drain "succeeded" at once and halted consumers with a full ring still to go.
        using var pipeline = new RingPipeline<TestEvent>(64, ProducerType.Multi);
        var log = new OrderLog(2);
        // Slow enough that the producers finish with a full ring still unconsumed, and the consumer is mid-batch then.
        var slow = pipeline.Add(new StampHandler(isA: true, work: 50_000), new SleepingWait());
        pipeline.Add(new OrderCheckingHandler(log), new SleepingWait(), slow);
        pipeline.Start();
        Assert.True(RunThreads(2, p => Produce(pipeline.Sequencer, pipeline.Ring, p, 300, batch: 1)));
        Assert.True(pipeline.DrainAndHalt(Bound));
        Assert.Null(log.FirstViolation);
        Assert.Equal(600, log.Seen);
    }

    [Fact]
    public void Producers_never_lap_the_slowest_consumer()
    {
        // A ring of 8 slots and a consumer that lags: if a producer overwrote an unconsumed slot, the
        // consumer would see a counter jump, which the order log reports.
        using var pipeline = new RingPipeline<TestEvent>(8, ProducerType.Multi);
        var log = new OrderLog(2);
        pipeline.Add(new StampHandler(isA: true, work: 20), new BlockingWait());
        var last = pipeline.Processors[0].Sequence;
        pipeline.Add(new OrderCheckingHandler(log), new BlockingWait(), last);
        pipeline.Start();
        Assert.True(RunThreads(2, p => Produce(pipeline.Sequencer, pipeline.Ring, p, 20_000, batch: 3)));
        Assert.True(pipeline.DrainAndHalt(Bound));
        Assert.Null(log.FirstViolation);
        Assert.Equal(40_000, log.Seen);
    }

    private struct ThrowingHandler(OrderLog log) : IEventHandler<TestEvent>
    {
        public readonly void OnEvent(ref TestEvent evt, long sequence, bool endOfBatch)
        {
            if (evt.Counter % 1000 == 7)
            {
                throw new InvalidOperationException("poisoned " + evt.Counter);
            }

            log.Record(evt);
        }
    }

    [Fact]
    public void A_throwing_handler_is_reported_and_the_consumer_carries_on()
    {
        var faults = new List<long>();
        using var pipeline = new RingPipeline<TestEvent>(256, ProducerType.Single, (ex, seq) => { lock (faults) { faults.Add(seq); } });
        var log = new OrderLog(1);
        pipeline.Add(new ThrowingHandler(log));
        pipeline.Start();
        Produce(pipeline.Sequencer, pipeline.Ring, 0, 10_000, batch: 4);
        Assert.True(pipeline.DrainAndHalt(Bound));
        Assert.Equal(10, faults.Count);
        Assert.Equal(10, pipeline.Processors[0].Faults);
        Assert.Equal(10_000 - 10, log.Seen);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (i * 1000) + 7L), faults.Order());
    }
    /// <summary>
    /// Finishes events in runs of five (or at a batch's end), as a grouped scoring stage does; events whose counter ends
    /// in 7 or 9 fail when their run is finished, so a run can hold two faults.
    /// </summary>
    private sealed class RunHandler(OrderLog log)
    {
        private readonly List<(long Sequence, long Counter)> _run = [];

        public void OnEvent(ref TestEvent evt, long sequence, bool endOfBatch)
        {
            _run.Add((sequence, evt.Counter));
            if (_run.Count < 5 && !endOfBatch)
            {
                return;
            }

            List<(long, Exception)>? faults = null;
            foreach ((long seq, long counter) in _run)
            {
                if (counter % 10 is 7 or 9)
                {
                    (faults ??= []).Add((seq, new InvalidOperationException("poisoned " + counter)));
                }
                else
                {
                    log.Record(new TestEvent { Counter = counter });
                }
            }

            _run.Clear();
            if (faults is not null)
            {
                throw new EventFaultsException(faults);
            }
        }
    }

    private struct RunHandlerAdapter(RunHandler inner) : IEventHandler<TestEvent>
    {
        public readonly void OnEvent(ref TestEvent evt, long sequence, bool endOfBatch) => inner.OnEvent(ref evt, sequence, endOfBatch);
    }

    [Fact]
    public void Faults_a_run_handler_reports_together_are_each_counted_at_their_own_sequence()
    {
        var faults = new List<long>();
        using var pipeline = new RingPipeline<TestEvent>(256, ProducerType.Single, (ex, seq) => { lock (faults) { faults.Add(seq); } });
        var log = new OrderLog(1);
        pipeline.Add(new RunHandlerAdapter(new RunHandler(log)));
        pipeline.Start();
        Produce(pipeline.Sequencer, pipeline.Ring, 0, 1_000, batch: 4);
        Assert.True(pipeline.DrainAndHalt(Bound));
        long[] poisoned = [.. Enumerable.Range(0, 1_000).Where(c => c % 10 is 7 or 9).Select(c => (long)c)];
        Assert.Equal(poisoned, faults.Order());
        Assert.Equal(poisoned.Length, pipeline.Processors[0].Faults);
        Assert.Equal(1_000 - poisoned.Length, log.Seen);
    }
    [Fact]
    public void A_poller_counts_every_fault_a_run_handler_reports_together()
    {
        using var pipeline = new RingPipeline<TestEvent>(256, ProducerType.Single);
        var poller = pipeline.AddPoller();
        pipeline.Start();
        Produce(pipeline.Sequencer, pipeline.Ring, 0, 200, batch: 4);
        var log = new OrderLog(1);
        var handler = new RunHandlerAdapter(new RunHandler(log));
        for (int attempt = 0; attempt < 1_000 && poller.Sequence.Value < 199; attempt++)
        {
            poller.Poll(ref handler, 16);
        }

        Assert.Equal(199, poller.Sequence.Value);
        Assert.Equal(40, poller.Faults); // counters ending in 7 or 9
        Assert.Equal(160, log.Seen);
    }
}
