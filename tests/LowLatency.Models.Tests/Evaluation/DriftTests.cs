using LowLatency.Models.Evaluation;

namespace LowLatency.Models.Tests.Evaluation;

public sealed class DriftTests
{
    /// <summary>Bernoulli error stream (a classifier's 0/1 mistakes) whose error rate jumps at <paramref name="change"/>.</summary>
    private static int FirstAlarmAfter(PageHinkley ph, int seed, int change, double before, double after, int length, out int falseAlarms)
    {
        var rng = new Random(seed);
        falseAlarms = 0;
        for (int t = 0; t < length; t++)
        {
            double p = t < change ? before : after;
            if (ph.Add(rng.NextDouble() < p ? 1 : 0))
            {
                if (t < change)
                {
                    falseAlarms++;
                }
                else
                {
                    return t;
                }
            }
        }

        return -1;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Page_hinkley_detects_an_error_rate_jump_within_the_bound(int seed)
    {
        // Error rate 0.05 → 0.25 at t = 20,000. With δ = 0.02 and λ = 25 the statistic grows by about
        // (0.25 - 0.05 - 0.02) ≈ 0.18 per value after the change, so detection needs ≈ 140 values; allow 400.
        // Before the change the walk drifts down by δ per value, so an excursion of λ is a ~e^(-2δλ/σ²) ≈ e^(-21) event.
        var ph = new PageHinkley(delta: 0.02, lambda: 25);
        int alarm = FirstAlarmAfter(ph, seed, 20_000, 0.05, 0.25, 40_000, out int falseAlarms);
        Assert.Equal(0, falseAlarms);
        Assert.InRange(alarm - 20_000, 0, 400);
    }

    [Fact]
    public void Page_hinkley_stays_quiet_on_a_stationary_stream()
    {
        // Seeds 1..10, 200,000 values each at a 5% error rate: no alarm at all.
        for (int seed = 1; seed <= 10; seed++)
        {
            var ph = new PageHinkley(delta: 0.02, lambda: 25);
            Assert.Equal(-1, FirstAlarmAfter(ph, seed, int.MaxValue, 0.05, 0.05, 200_000, out int falseAlarms));
            Assert.Equal(0, falseAlarms);
        }
    }

    private static double NaivePsi(float[] reference, float[] current, double[] edges)
    {
        int Bin(float v) => float.IsNaN(v) ? edges.Length + 1 : edges.Count(e => e <= v);
        double psi = 0;
        for (int b = 0; b < edges.Length + 2; b++)
        {
            double r = Math.Max(reference.Count(v => Bin(v) == b) / (double)reference.Length, 1e-4);
            double c = Math.Max(current.Count(v => Bin(v) == b) / (double)current.Length, 1e-4);
            psi += (c - r) * Math.Log(c / r);
        }

        return psi;
    }

    private static float[] Normal(Random rng, int n, double mean, double nanRate = 0)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            x[i] = rng.NextDouble() < nanRate ? float.NaN : (float)(mean + (Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)));
        }

        return x;
    }

    [Fact]
    public void Psi_matches_the_formula_and_separates_stable_from_shifted()
    {
        var rng = new Random(9);
        var reference = Normal(rng, 5000, 0);
        var stable = Normal(rng, 2000, 0);
        var shifted = Normal(rng, 2000, 1.0);
        var missing = Normal(rng, 2000, 0, nanRate: 0.3);
        double[] results = new double[3];
        int r = 0;
        foreach (var current in new[] { stable, shifted, missing })
        {
            var psi = new PsiMonitor(reference, 10, current.Length);
            Assert.Equal(11, psi.BinCount);
            // Fill twice over: the window must slide, keeping only the second pass.
            foreach (float v in Normal(rng, current.Length, 5))
            {
                psi.Add(v);
            }

            foreach (float v in current)
            {
                psi.Add(v);
            }

            results[r++] = psi.Psi();
            Assert.Equal(NaivePsi(reference, current, psi.Edges.ToArray()), psi.Psi(), 9);
        }

        Assert.True(results[0] < 0.05, $"stable PSI {results[0]}");
        Assert.True(results[1] > 0.25, $"shifted PSI {results[1]}");
        Assert.True(results[2] > 0.25, $"missing PSI {results[2]}");
    }

    [Fact]
    public void Monitors_sharing_one_window_array_match_the_formula_and_do_not_disturb_each_other()
    {
        // Three features' windows in one array, as the controller allocates them; each must slide on its own slice only.
        var rng = new Random(17);
        var reference = Normal(rng, 3000, 0);
        const int Window = 700;
        var shared = new short[3 * Window];
        var monitors = Enumerable.Range(0, 3).Select(j => new PsiMonitor(reference, 10, new ArraySegment<short>(shared, j * Window, Window))).ToArray();
        var streams = new[] { Normal(rng, 2 * Window, 0), Normal(rng, 2 * Window, 1.5), Normal(rng, 2 * Window, 0, nanRate: 0.4) };
        for (int i = 0; i < 2 * Window; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                monitors[j].Add(streams[j][i]);
            }
        }

        for (int j = 0; j < 3; j++)
        {
            var last = streams[j][Window..];
            Assert.Equal(Window, monitors[j].Count);
            Assert.Equal(NaivePsi(reference, last, monitors[j].Edges.ToArray()), monitors[j].Psi(), 9);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => new PsiMonitor(reference, 10, new ArraySegment<short>(shared, 0, 0)));
    }
}
