using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Gateway;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;
using LowLatency.Models.Persistence;

namespace LowLatency.Host.Tests;

/// <summary>What the serve tests share: a small spec, a model file, transactions, a recording gateway, a child process.</summary>
internal static class ServeHarness
{
    /// <summary>Table capacity of the tests' payments spec (small: tests start many engines).</summary>
    public const int Capacity = 1 << 14;

    public static readonly FeatureSpec Spec = FeatureSpec.LoadDefault("payments").WithMaxCapacity(Capacity);

    public static readonly string[] FeatureNames = Featurizer.NamesFor(FeaturePlan.Compile(Spec));

    /// <summary>Writes an LLMODEL logistic model over the spec's features; returns it as the reference scorer.</summary>
    public static ChampionModel WriteModel(string path, int seed)
    {
        var rng = new Random(seed);
        float[] weights = [.. FeatureNames.Select(_ => (float)((rng.NextDouble() * 2) - 1) / 8)];
        var champion = ChampionModel.FromLogistic(new LogisticModel(weights, new float[2], -1.5f), FeatureNames);
        ModelFile.Save(champion, path);
        return champion;
    }

    public static Transaction[] Transactions(int n, int seed, ulong firstId = 1)
    {
        var rng = new Random(seed);
        long t = 1_700_000_000_000_000_000;
        return [.. Enumerable.Range(0, n).Select(i =>
        {
            t += rng.Next(1, 2_000_000_000);
            bool geo = rng.NextDouble() < 0.6;
            return new Transaction
            {
                TxId = firstId + (ulong)i, EventTimeNs = t, CardId = (ulong)rng.Next(300), MerchantId = (ulong)rng.Next(500),
                AmountMinor = rng.Next(100, 100_000), Country = (ushort)(rng.NextDouble() < 0.9 ? 826 : 840),
                Channel = (Channel)rng.Next(5), EntryMode = (EntryMode)rng.Next(5), DeviceId = (ulong)rng.Next(0, 5),
                Latitude = geo ? 50 + rng.NextDouble() : double.NaN, Longitude = geo ? rng.NextDouble() : double.NaN,
            };
        })];
    }

    /// <summary>A loopback UDP port free right now (bound and released; the caller binds it at once).</summary>
    public static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>A gateway client on an ephemeral loopback port publishing to <paramref name="enginePort"/>.</summary>
    public static GatewayClient<Recorder> Gateway(int enginePort, Decisions decisions, IPAddress? bind = null) =>
        new(new GatewayClientOptions { Bind = new IPEndPoint(bind ?? IPAddress.Loopback, 0), Engine = new IPEndPoint(IPAddress.Loopback, enginePort) }, new Recorder(decisions));

    /// <summary>Sends every transaction, retrying back-pressured offers (bounded).</summary>
    public static void Send(GatewayClient<Recorder> gateway, IEnumerable<Transaction> transactions)
    {
        var clock = Stopwatch.StartNew();
        foreach (Transaction tx in transactions)
        {
            OfferResult r;
            while ((r = gateway.SendTransaction(tx, Stopwatch.GetTimestamp())) == OfferResult.BackPressured && clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                Thread.Yield();
            }

            Assert.Equal(OfferResult.Ok, r);
        }
    }

    public static bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(2);
        }

        return true;
    }

    /// <summary>A JSON string literal.</summary>
    public static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    /// <summary>Decisions a gateway received (tests only: allocates and locks).</summary>
    internal sealed class Decisions
    {
        private readonly List<Decision> _matched = [];
        private readonly List<ulong> _unmatched = [];

        public int Count
        {
            get
            {
                lock (_matched)
                {
                    return _matched.Count;
                }
            }
        }

        public Decision[] Matched
        {
            get
            {
                lock (_matched)
                {
                    return [.. _matched];
                }
            }
        }

        public ulong[] Unmatched
        {
            get
            {
                lock (_matched)
                {
                    return [.. _unmatched];
                }
            }
        }

        public void Add(in Decision d)
        {
            lock (_matched)
            {
                _matched.Add(d);
            }
        }

        public void AddUnmatched(ulong txId)
        {
            lock (_matched)
            {
                _unmatched.Add(txId);
            }
        }
    }

    internal readonly struct Recorder(Decisions decisions) : IDecisionListener
    {
        public void OnDecision(in Decision decision, ReadOnlySpan<WireReason> reasons, long sentTicks, long receivedTicks) => decisions.Add(decision);

        public void OnUnmatched(in Decision decision) => decisions.AddUnmatched(decision.TxId);
    }
}

/// <summary><c>lowlat serve</c> as a child process: its output line by line, SIGTERM, a bounded wait; killed if still alive at the end.</summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly System.Text.StringBuilder _error = new();

    public ServeProcess(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lowlat.dll"));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["NO_COLOR"] = "1";
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_lines)
                {
                    _lines.Add(e.Data);
                }
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_error)
                {
                    _error.AppendLine(e.Data);
                }
            }
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>The first output line matching <paramref name="predicate"/>, waiting up to <paramref name="timeout"/>; null if none.</summary>
    public string? WaitForLine(Func<string, bool> predicate, TimeSpan timeout)
    {
        string? found = null;
        ServeHarness.WaitFor(
            () =>
            {
                lock (_lines)
                {
                    found = _lines.FirstOrDefault(predicate);
                }

                return found is not null || _process.HasExited;
            },
            timeout);
        lock (_lines)
        {
            return found ?? _lines.FirstOrDefault(predicate);
        }
    }

    /// <summary>Sends SIGTERM (through kill(1): the framework's Kill sends SIGKILL).</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits for the exit (and the end of its output); returns the exit code, or null on timeout.</summary>
    public int? WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return null;
        }

        _process.WaitForExit(); // drains the asynchronous output readers
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
