using System.Runtime.CompilerServices;
using LowLatency.Engine.Ring;

namespace LowLatency.Engine.Tests.Ring;

public class SequencerTests
{
    [Fact]
    public void Padded_sequence_value_sits_alone_in_the_middle_of_256_bytes()
    {
        var p = default(PaddedLong);
        Assert.Equal(2 * 128 + 8, Unsafe.SizeOf<PaddedLong>());
        Assert.Equal(128, (int)Unsafe.ByteOffset(ref Unsafe.As<PaddedLong, byte>(ref p), ref Unsafe.As<long, byte>(ref p.Value)));
    }

    private struct ThrowOnCounter(long poison, List<long> seen) : IEventHandler<TestEvent>
    {
        public readonly void OnEvent(ref TestEvent evt, long sequence, bool endOfBatch)
        {
            if (evt.Counter == poison)
            {
                throw new InvalidDataException("poisoned event");
            }

            seen.Add(evt.Counter);
        }
    }

    [Fact]
    public void A_poller_skips_and_counts_an_event_whose_handler_throws_and_goes_on_with_the_rest()
    {
        using var pipeline = new RingPipeline<TestEvent>(16, ProducerType.Single);
        var poller = pipeline.AddPoller();
        pipeline.Start();
        var seq = pipeline.Sequencer;
        for (long i = 0; i < 10; i++)
        {
            long s = seq.Next();
            pipeline.Ring[s].Counter = i;
            seq.Publish(s);
        }

        var seen = new List<long>();
        var handler = new ThrowOnCounter(4, seen);
        int polled = 0;
        for (int attempt = 0; attempt < 10 && poller.Sequence.Value < 9; attempt++)
        {
            polled += poller.Poll(ref handler);
        }

        Assert.Equal([0, 1, 2, 3, 5, 6, 7, 8, 9], seen);
        Assert.Equal(1, poller.Faults);
        Assert.Equal(10, polled);
        Assert.Equal(9, poller.Sequence.Value);
    }

    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public void TryNext_fails_when_full_and_succeeds_after_the_consumer_moves(ProducerType type)
    {
        using var pipeline = new RingPipeline<TestEvent>(8, type);
        var poller = pipeline.AddPoller();
        pipeline.Start();
        var seq = pipeline.Sequencer;

        Assert.True(seq.TryNext(8, out long hi));
        Assert.Equal(7, hi);
        seq.Publish(0, 7);
        Assert.False(seq.TryNext(1, out _));

        var handler = new OrderCheckingHandler(new OrderLog(1));
        Assert.Equal(3, poller.Poll(ref handler, maxBatch: 3));
        Assert.True(seq.TryNext(3, out hi));
        Assert.Equal(10, hi);
        Assert.False(seq.TryNext(1, out _));
    }

    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public void Claims_outside_one_to_ring_size_are_refused(ProducerType type)
    {
        using var pipeline = new RingPipeline<TestEvent>(8, type);
        Assert.Throws<ArgumentOutOfRangeException>(() => pipeline.Sequencer.Next(9));
        Assert.Throws<ArgumentOutOfRangeException>(() => pipeline.Sequencer.Next(0));
    }

    [Fact]
    public void Ring_size_must_be_a_power_of_two()
    {
        var ex = Assert.Throws<ArgumentException>(() => new RingBuffer<TestEvent>(1000));
        Assert.Contains("power of two", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Multi_producer_consumers_stop_at_the_first_unpublished_slot()
    {
        using var pipeline = new RingPipeline<TestEvent>(16, ProducerType.Multi);
        var poller = pipeline.AddPoller();
        pipeline.Start();
        long a = pipeline.Sequencer.Next();
        long b = pipeline.Sequencer.Next();
        pipeline.Sequencer.Publish(b); // published out of order: slot a still pending
        var log = new OrderLog(1);
        var handler = new OrderCheckingHandler(log);
        Assert.Equal(0, poller.Poll(ref handler));
        pipeline.Sequencer.Publish(a);
        Assert.Equal(2, poller.Poll(ref handler));
    }

    [Fact]
    public void Claim_scope_publishes_on_dispose()
    {
        using var pipeline = new RingPipeline<TestEvent>(16, ProducerType.Single);
        var poller = pipeline.AddPoller();
        pipeline.Start();
        using (var scope = pipeline.Sequencer.Claim(pipeline.Ring))
        {
            scope.Event.Counter = 0;
        }

        var log = new OrderLog(1);
        var handler = new OrderCheckingHandler(log);
        Assert.Equal(1, poller.Poll(ref handler));
        Assert.Equal(1, log.Seen);
    }

    [Fact]
    public void Steady_state_claim_publish_and_poll_allocate_nothing()
    {
        using var pipeline = new RingPipeline<TestEvent>(1024, ProducerType.Single);
        var poller = pipeline.AddPoller();
        pipeline.Start();
        var handler = new OrderCheckingHandler(new OrderLog(1));
        void Round(long i)
        {
            long s = pipeline.Sequencer.Next();
            pipeline.Ring[s].Counter = i;
            pipeline.Sequencer.Publish(s);
            poller.Poll(ref handler);
        }

        for (long i = 0; i < 10_000; i++)
        {
            Round(i);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long i = 10_000; i < 200_000; i++)
        {
            Round(i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
