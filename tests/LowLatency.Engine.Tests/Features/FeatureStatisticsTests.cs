using System.Runtime.Intrinsics.X86;
using LowLatency.Engine.Features;

namespace LowLatency.Engine.Tests.Features;

public class FeatureStatisticsTests
{
    /// <summary>
    /// The store turns window totals into statistics four windows a step where AVX is available; the scalar path is what
    /// other machines run. Both must give every feature the same bits, on streams with empty, single-event and busy
    /// windows, evictions and late events.
    /// </summary>
    [Theory]
    [InlineData(1, 60)]
    [InlineData(2, 3)]
    [InlineData(3, 400)]
    public void Vector_and_scalar_statistics_give_the_same_bits(int seed, int activeCards)
    {
        if (!Avx.IsSupported)
        {
            return; // only the scalar path exists on this machine
        }

        FeatureSpec spec = FeatureSpec.LoadDefault("payments");
        foreach (EntitySpec e in spec.Entities)
        {
            spec = spec.WithCapacity(e.Name, 128);
        }

        var plan = FeaturePlan.Compile(spec);
        using var vector = new FeatureStore(plan);
        using var scalar = new FeatureStore(plan) { ForceScalarFinish = true };
        var a = new float[plan.VectorLength];
        var b = new float[plan.VectorLength];
        int[] zScores = [.. plan.FeatureKinds.Select((k, i) => (k, i)).Where(p => p.k is AggregateKind.ZScore or AggregateKind.Std).Select(p => p.i)];
        int nonZero = 0;
        foreach (var tx in FeatureStreams.Transactions(seed, 4000, activeCards))
        {
            Assert.Equal(vector.Process(tx, a), scalar.Process(tx, b));
            for (int i = 0; i < a.Length; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(b[i]), BitConverter.SingleToInt32Bits(a[i]));
            }

            foreach (int i in zScores)
            {
                nonZero += a[i] != 0 ? 1 : 0;
            }
        }

        // Std and z-score features came out non-zero often, so the divisions and the root were on the compared path.
        Assert.True(nonZero > 4000, $"only {nonZero} non-zero std and z-score values");
    }
}
