using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LowLatency.Engine.Metrics;

namespace LowLatency.Host;

/// <summary>
/// The floor of any request/response over loopback UDP on this machine: a raw ping-pong between two sockets, an echo
/// thread blocking in recvfrom and the caller blocking in recv (two kernel wake-ups per round trip, no protocol, no
/// work). <c>bench --transport udp</c> measures it in the same run as the engine, so the engine's percentiles can be
/// read as multiples of it.
/// </summary>
internal static class UdpFloor
{
    /// <summary>Times <paramref name="roundTrips"/> ping-pongs of <paramref name="payloadBytes"/> after a short warm-up; latencies in ns.</summary>
    public static LatencyHistogram Measure(int roundTrips, int payloadBytes = 96)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.Connect(server.LocalEndPoint!);
        client.ReceiveTimeout = 1000;
        server.ReceiveTimeout = 200;
        bool stop = false;
        var echo = new Thread(() =>
        {
            var buffer = new byte[2048];
            var from = new SocketAddress(AddressFamily.InterNetwork);
            while (!Volatile.Read(ref stop))
            {
                try
                {
                    int n = server.ReceiveFrom(buffer, SocketFlags.None, from);
                    server.SendTo(buffer.AsSpan(0, n), SocketFlags.None, from);
                }
                catch (SocketException)
                {
                    // receive timeout: look at the stop flag again
                }
            }
        }) { IsBackground = true, Name = "udp-floor-echo" };
        echo.Start();
        var histogram = new LatencyHistogram();
        var ping = new byte[payloadBytes];
        var pong = new byte[2048];
        double nsPerTick = 1e9 / Stopwatch.Frequency;
        try
        {
            int warmup = Math.Max(100, roundTrips / 10);
            for (int i = 0; i < warmup + roundTrips; i++)
            {
                long start = Stopwatch.GetTimestamp();
                client.Send(ping);
                client.Receive(pong); // a lost datagram on loopback throws after 1 s rather than hanging
                if (i >= warmup)
                {
                    histogram.Record((long)((Stopwatch.GetTimestamp() - start) * nsPerTick));
                }
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            echo.Join();
        }

        return histogram;
    }
}
