using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Net;
using BenchmarkDotNet.Attributes;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Gateway;
using LowLatency.Adapters.Sbe;
using LowLatency.Adapters.Transport;
using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Metrics;
using LowLatency.Engine.Pipeline;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;

namespace LowLatency.Benchmarks;

/// <summary>Counts decisions arriving at the gateway (its receive thread writes, the benchmark thread waits on it).</summary>
public sealed class DecisionCount
{
    private long _value;

    /// <summary>Decisions received so far (acquire read).</summary>
    public long Value => Volatile.Read(ref _value);

    /// <summary>One more (release write; single writer: the gateway's receive thread).</summary>
    public void Increment() => Volatile.Write(ref _value, _value + 1);
}

/// <summary>Listener that only counts.</summary>
public readonly struct CountingListener(DecisionCount count) : IDecisionListener
{
    /// <inheritdoc/>
    public void OnDecision(in Decision decision, ReadOnlySpan<WireReason> reasons, long sentTicks, long receivedTicks) => count.Increment();

    /// <inheritdoc/>
    public void OnUnmatched(in Decision decision) => count.Increment();
}

/// <summary>
/// Closed-loop round trip on loopback UDP, one message in flight. Baseline: a raw UDP ping-pong between two sockets (the
/// floor: two kernel wake-ups per round trip). Against it: a transaction from the gateway client over Aeron to the engine
/// (receiver → ring → single-thread pipeline with a real scoring model → decision publication) and the decision back to
/// the gateway client. Every endpoint thread uses the default backoff idle strategy (parks in poll()); the pipeline
/// thread yields. Means per round trip come from BenchmarkDotNet; each run also prints p50/p99/p99.9 of the individual
/// round trips it timed ("rtt-percentiles" lines in the log).
/// </summary>
public class AeronRoundTripBenchmarks
{
    private static readonly FeatureSpec Spec = FeatureSpec.LoadDefault("payments").WithMaxCapacity(1 << 16);
    private static readonly string[] FeatureNames = Featurizer.NamesFor(FeaturePlan.Compile(Spec));

    private const int RoundTrips = 2_000;
    private readonly LatencyHistogram _raw = new();
    private readonly LatencyHistogram _aeron = new();
    private Socket _client = null!;
    private Socket _server = null!;
    private Thread? _echo;
    private volatile bool _stop;
    private readonly byte[] _ping = new byte[96];
    private readonly byte[] _pong = new byte[256];
    private EndPoint _serverEndPoint = null!;

    private EngineTransport _transport = null!;
    private ScoringPipeline<DecisionPublicationSink> _pipeline = null!;
    private GatewayClient<CountingListener> _gateway = null!;
    private readonly DecisionCount _decisions = new();
    private Transaction _tx;

    /// <summary>
    /// Where the engine's stages run: on a pipeline thread of their own that waits yielding or blocking on a signal, or on
    /// the engine's network thread (polled after each socket poll: one engine thread, what the host does over UDP).
    /// </summary>
    [Params(EngineThreads.StageThreadYielding, EngineThreads.StageThreadBlocking, EngineThreads.NetworkThread)]
    public EngineThreads Engine { get; set; }

    /// <summary>Raw sockets and an echo thread blocking in recvfrom.</summary>
    [GlobalSetup(Target = nameof(RawUdpPingPong))]
    public void SetupRaw()
    {
        _server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _client.Connect(_server.LocalEndPoint!);
        _serverEndPoint = _server.LocalEndPoint!;
        _echo = new Thread(() =>
        {
            var buffer = new byte[256];
            var from = new SocketAddress(AddressFamily.InterNetwork);
            _server.ReceiveTimeout = 200;
            while (!_stop)
            {
                try
                {
                    int n = _server.ReceiveFrom(buffer, SocketFlags.None, from);
                    _server.SendTo(buffer.AsSpan(0, n), SocketFlags.None, from);
                }
                catch (SocketException)
                {
                    // receive timeout: check the stop flag
                }
            }
        }) { IsBackground = true, Name = "udp-echo" };
        _echo.Start();
    }

    /// <summary>Engine on loopback with a random-weight model, and a gateway client connected to it.</summary>
    [GlobalSetup(Target = nameof(AeronGatewayEngineRoundTrip))]
    public void SetupAeron() => SetupAeron(ownThread: true);

    /// <summary>The same, with the gateway client polled by the benchmark thread (no receive thread).</summary>
    [GlobalSetup(Target = nameof(AeronGatewayEngineRoundTripPolled))]
    public void SetupAeronPolled() => SetupAeron(ownThread: false);

    private void SetupAeron(bool ownThread)
    {
        int enginePort;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            enginePort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        _gateway = new GatewayClient<CountingListener>(
            new GatewayClientOptions { Bind = new IPEndPoint(IPAddress.Loopback, 0), Engine = new IPEndPoint(IPAddress.Loopback, enginePort), OwnThread = ownThread },
            new CountingListener(_decisions));
        _transport = new EngineTransport(new EngineTransportOptions { Inbound = new IPEndPoint(IPAddress.Loopback, enginePort), DecisionDestination = _gateway.LocalEndPoint });
        var rng = new Random(1);
        float[] w = [.. Enumerable.Range(0, FeatureNames.Length).Select(_ => (float)(rng.NextDouble() - 0.5))];
        var model = new ServingModel(ChampionModel.FromLogistic(new LogisticModel(w, new float[2], -2f), FeatureNames), 1);
        _pipeline = new ScoringPipeline<DecisionPublicationSink>(
            new PipelineOptions
            {
                RingSize = 4096, Features = Spec, WaitStrategy = Engine == EngineThreads.StageThreadBlocking ? WaitStrategyKind.Blocking : WaitStrategyKind.Yielding,
                PolledByCaller = Engine == EngineThreads.NetworkThread,
            },
            model, new DecisionPolicy(0.5f, 0.9f), _transport.CreateSink(Engine == EngineThreads.NetworkThread));
        _pipeline.Start();
        _transport.Start(_pipeline.Sequencer, _pipeline.Ring, Engine == EngineThreads.NetworkThread ? () => _pipeline.Poll() : null);
        if (!_gateway.WaitUntilConnected(TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException("gateway and engine did not connect");
        }

        _tx = new Transaction
        {
            EventTimeNs = 1_700_000_000_000_000_000, CardId = 1, MerchantId = 2, AmountMinor = 1234, Country = 826,
            Latitude = double.NaN, Longitude = double.NaN,
        };
    }

    /// <summary>Stops threads, prints the per-round-trip percentiles, closes sockets.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _echo?.Join();
        _client?.Dispose();
        _server?.Dispose();
        _gateway?.Dispose();
        if (_pipeline is not null)
        {
            _pipeline.DrainAndStop(TimeSpan.FromSeconds(5));
            _transport.Dispose();
            _pipeline.Dispose();
        }

        Print("raw-udp", _raw);
        Print($"aeron-gateway-engine ({Engine})", _aeron);
    }

    /// <summary>Raw UDP ping-pong: send 96 bytes, block until the echo is back.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips)]
    public long RawUdpPingPong()
    {
        long sum = 0;
        for (int i = 0; i < RoundTrips; i++)
        {
            long start = Stopwatch.GetTimestamp();
            _client.Send(_ping);
            sum += _client.Receive(_pong);
            _raw.Record(Stopwatch.GetTimestamp() - start);
        }

        return sum;
    }

    /// <summary>Gateway → engine (decode, features, score, decide) → gateway over Aeron UDP, one transaction in flight.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public long AeronGatewayEngineRoundTrip()
    {
        long expected = _decisions.Value;
        for (int i = 0; i < RoundTrips; i++)
        {
            long start = Stopwatch.GetTimestamp();
            _tx.TxId++;
            _tx.EventTimeNs += 1_000_000;
            while (_gateway.SendTransaction(_tx, start) != OfferResult.Ok)
            {
                Thread.Yield();
            }

            expected++;
            int spins = 0;
            while (_decisions.Value < expected)
            {
                if (++spins < 2000)
                {
                    Thread.SpinWait(1);
                }
                else
                {
                    Thread.Yield();
                }
            }

            _aeron.Record(Stopwatch.GetTimestamp() - start);
        }

        return expected;
    }

    /// <summary>Gateway → engine → gateway with the benchmark thread polling the gateway client itself.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public long AeronGatewayEngineRoundTripPolled()
    {
        long expected = _decisions.Value;
        for (int i = 0; i < RoundTrips; i++)
        {
            long start = Stopwatch.GetTimestamp();
            _tx.TxId++;
            _tx.EventTimeNs += 1_000_000;
            while (_gateway.SendTransaction(_tx, start) != OfferResult.Ok)
            {
                _gateway.Poll();
            }

            expected++;
            while (_decisions.Value < expected)
            {
                _gateway.Poll();
            }

            _aeron.Record(Stopwatch.GetTimestamp() - start);
        }

        return expected;
    }

    private static void Print(string name, LatencyHistogram h)
    {
        if (h.TotalCount == 0)
        {
            return;
        }

        double us = 1e6 / Stopwatch.Frequency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rtt-percentiles {name}: n={h.TotalCount} p50={h.ValueAtPercentile(50) * us:F1}us p99={h.ValueAtPercentile(99) * us:F1}us p99.9={h.ValueAtPercentile(99.9) * us:F1}us max={h.Max * us:F1}us"));
    }
}

/// <summary>Thread layout of the engine in the round-trip benchmark.</summary>
public enum EngineThreads
{
    /// <summary>Endpoint thread + a pipeline thread that spins then yields.</summary>
    StageThreadYielding,
    /// <summary>Endpoint thread + a pipeline thread that sleeps on a signal.</summary>
    StageThreadBlocking,
    /// <summary>One thread: the endpoint polls the pipeline after each socket poll.</summary>
    NetworkThread,
}
