using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LowLatency.Adapters.Tests.Transport;

/// <summary>
/// A seeded lossy UDP relay on loopback between a gateway and the engine, in both directions: datagrams arriving on
/// <see cref="Front"/> (from the gateway) leave from the back socket to the engine, and those on <see cref="Back"/> (from
/// the engine) leave from the front socket to the gateway. Each datagram is dropped, duplicated, or held back for a random
/// delay (which reorders it) with the given probabilities. Runs on its own thread until disposed.
/// </summary>
internal sealed class FaultyUdpProxy : IDisposable
{
    private readonly Socket _front = Bound();
    private readonly Socket _back = Bound();
    private readonly Random _rng;
    private readonly double _drop;
    private readonly double _duplicate;
    private readonly double _delay;
    private readonly long _maxDelayTicks;
    private readonly List<(long Due, bool ToEngine, byte[] Data)> _held = new();
    private readonly Thread _thread;
    private volatile bool _running = true;
    private IPEndPoint? _engineSender;

    public FaultyUdpProxy(int seed, IPEndPoint gateway, IPEndPoint engine, double drop, double duplicate, double delay, TimeSpan maxDelay)
    {
        _rng = new Random(seed);
        Gateway = gateway;
        Engine = engine;
        _drop = drop;
        _duplicate = duplicate;
        _delay = delay;
        _maxDelayTicks = (long)(maxDelay.TotalSeconds * Stopwatch.Frequency);
        _thread = new Thread(Run) { Name = "faulty-proxy", IsBackground = true };
        _thread.Start();
    }

    public IPEndPoint Gateway { get; }

    public IPEndPoint Engine { get; }

    /// <summary>Where the gateway publishes (it sees this as the engine).</summary>
    public IPEndPoint Front => (IPEndPoint)_front.LocalEndPoint!;

    /// <summary>Where the engine publishes decisions (it sees this as the gateway).</summary>
    public IPEndPoint Back => (IPEndPoint)_back.LocalEndPoint!;

    public long Forwarded { get; private set; }

    public long Dropped { get; private set; }

    public long Duplicated { get; private set; }

    public long Delayed { get; private set; }

    public void Dispose()
    {
        _running = false;
        _thread.Join();
        _front.Dispose();
        _back.Dispose();
    }

    private static Socket Bound()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20, SendBufferSize = 4 << 20 };
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    private void Run()
    {
        var buffer = new byte[65536];
        var sockets = new List<Socket>(2);
        while (_running)
        {
            sockets.Clear();
            sockets.Add(_front);
            sockets.Add(_back);
            Socket.Select(sockets, null, null, 200);
            Pump(_front, toEngine: true, buffer);
            Pump(_back, toEngine: false, buffer);
            long now = Stopwatch.GetTimestamp();
            for (int i = _held.Count - 1; i >= 0; i--)
            {
                if (_held[i].Due <= now)
                {
                    Send(_held[i].ToEngine, _held[i].Data);
                    _held.RemoveAt(i);
                }
            }
        }
    }

    private void Pump(Socket socket, bool toEngine, byte[] buffer)
    {
        while (socket.Available > 0)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = socket.ReceiveFrom(buffer, ref from);
            if (!toEngine && n >= 8 && IsSenderFrame(buffer[6]))
            {
                // The engine's decisions leave from a socket of their own: the gateway's status messages and NAKs for them
                // must go back there, as a real network would return them to the source address.
                _engineSender = (IPEndPoint)from;
            }
            if (_rng.NextDouble() < _drop)
            {
                Dropped++;
                continue;
            }

            int copies = _rng.NextDouble() < _duplicate ? 2 : 1;
            Duplicated += copies - 1;
            for (int c = 0; c < copies; c++)
            {
                byte[] data = buffer.AsSpan(0, n).ToArray();
                if (_rng.NextDouble() < _delay)
                {
                    Delayed++;
                    _held.Add((Stopwatch.GetTimestamp() + (long)(_rng.NextDouble() * _maxDelayTicks), toEngine, data));
                }
                else
                {
                    Send(toEngine, data);
                }
            }
        }
    }

    // Aeron frame types only a sender emits (PAD, DATA, SETUP); a receiver emits NAK (2), SM (3), ERR (4).
    private static bool IsSenderFrame(byte type) => type is 0 or 1 or 5;

    private void Send(bool toEngine, byte[] data)
    {
        Forwarded++;
        if (toEngine)
        {
            bool feedback = data.Length >= 8 && data[6] is 2 or 3 or 4;
            _back.SendTo(data, feedback && _engineSender is { } sender ? sender : Engine);
        }
        else
        {
            _front.SendTo(data, Gateway);
        }
    }
}
