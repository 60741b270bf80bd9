using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LowLatency.Engine.Features;

namespace LowLatency.Engine.Tests.Features;

public unsafe class BucketScanTests
{
    /// <summary>A window of <paramref name="n"/> buckets laid out as the plan lays them out (counts, minima, maxima, sums, sums of squares).</summary>
    private static WindowPlan Layout(int n)
    {
        int at = sizeof(long);
        int Array8(int bytes)
        {
            int start = at;
            at += ((n * bytes) + 7) & ~7;
            return start;
        }

        return new WindowPlan
        {
            Buckets = n, CountsOffset = Array8(sizeof(uint)), MinsOffset = Array8(sizeof(float)), MaxsOffset = Array8(sizeof(float)),
            SumsOffset = Array8(sizeof(double)), SumSqsOffset = Array8(sizeof(double)), DistinctOffset = at,
        };
    }

    [Fact]
    public void The_vector_scan_gives_the_loops_bits_and_ignores_whatever_follows_the_arrays()
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            return; // no 256-bit vectors on this CPU: only the loop runs, and the reference tests cover it
        }

        var rng = new Random(5);
        for (int trial = 0; trial < 2000; trial++)
        {
            int n = rng.Next(1, 9);
            WindowPlan wp = Layout(n);
            int bytes = wp.DistinctOffset + FeatureStore.ScanOverrunBytes;
            byte* ws = (byte*)NativeMemory.Alloc((nuint)bytes);
            try
            {
                // Garbage everywhere first (NaN patterns included), then the arrays' real values.
                rng.NextBytes(new Span<byte>(ws, bytes));
                for (int i = 0; i < n; i++)
                {
                    bool empty = rng.Next(4) == 0;
                    double x = empty ? 0 : (rng.NextDouble() - 0.3) * Math.Pow(10, rng.Next(-3, 7));
                    ((uint*)(ws + wp.CountsOffset))[i] = empty ? 0 : (uint)rng.Next(1, int.MaxValue);
                    ((float*)(ws + wp.MinsOffset))[i] = empty ? float.PositiveInfinity : (float)x;
                    ((float*)(ws + wp.MaxsOffset))[i] = empty ? float.NegativeInfinity : (float)(x + 1);
                    ((double*)(ws + wp.SumsOffset))[i] = x;
                    ((double*)(ws + wp.SumSqsOffset))[i] = x * x;
                }

                int start = rng.Next(n);
                int len = rng.Next(0, n - start + 1);
                var vector = FeatureStore.ScanTotals(ws, in wp, start, len, vector: true);
                var loop = FeatureStore.ScanTotals(ws, in wp, start, len, vector: false);
                Assert.Equal(loop.Count, vector.Count);
                Assert.Equal(BitConverter.DoubleToInt64Bits(loop.Sum), BitConverter.DoubleToInt64Bits(vector.Sum));
                Assert.Equal(BitConverter.DoubleToInt64Bits(loop.SumSq), BitConverter.DoubleToInt64Bits(vector.SumSq));
                Assert.Equal(loop.Min, vector.Min);
                Assert.Equal(loop.Max, vector.Max);

                // And the loop against a plain recomputation: exact for counts, minima and maxima, close for the sums.
                long count = 0;
                double sum = 0, magnitude = 0;
                float min = float.PositiveInfinity, max = float.NegativeInfinity;
                for (int i = start; i < start + len; i++)
                {
                    count += ((uint*)(ws + wp.CountsOffset))[i];
                    sum += ((double*)(ws + wp.SumsOffset))[i];
                    magnitude += Math.Abs(((double*)(ws + wp.SumsOffset))[i]);
                    min = Math.Min(min, ((float*)(ws + wp.MinsOffset))[i]);
                    max = Math.Max(max, ((float*)(ws + wp.MaxsOffset))[i]);
                }

                Assert.Equal(count, loop.Count);
                Assert.Equal(min, loop.Min);
                Assert.Equal(max, loop.Max);
                Assert.True(Math.Abs(sum - loop.Sum) <= 1e-13 * magnitude, $"{sum} vs {loop.Sum}");
            }
            finally
            {
                NativeMemory.Free(ws);
            }
        }
    }
}
