using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using static LowLatency.Engine.Tests.Features.FeatureStreams;

namespace LowLatency.Engine.Tests.Pipeline;

public class FeaturizerTests
{
    /// <summary>
    /// The vectorised transforms against the documented scalar ones, applied to the raw aggregates of a second store fed
    /// the same events: counts and sums through a signed log, seconds since the last event through log(1 + s) with 16 for
    /// "never", z-scores clipped to ±10. The vector log may differ from MathF.Log in the last bits only.
    /// </summary>
    [Theory]
    [InlineData("small")]
    [InlineData("payments")]
    public void Transforms_match_the_scalar_definitions_on_every_feature(string which)
    {
        FeatureSpec spec = which == "small" ? FeatureSpec.Parse(SmallSpecJson(256)) : FeatureSpec.LoadDefault("payments");
        FeaturePlan plan = FeaturePlan.Compile(spec with { MemoryBudgetBytes = long.MaxValue, Entities = [.. spec.Entities.Select(e => e with { Capacity = 4096 })] });
        using var featurizer = new Featurizer(plan);
        using var raw = new FeatureStore(plan);
        int offset = Featurizer.TransactionEventNames.Length;
        var transformed = new float[featurizer.Count];
        var aggregates = new float[plan.VectorLength];
        int checkedValues = 0;
        foreach (Transaction tx in Transactions(5, 2000))
        {
            featurizer.Process(in tx, transformed);
            raw.Process(in tx, aggregates);
            for (int i = 0; i < aggregates.Length; i++)
            {
                float v = aggregates[i];
                double expected = plan.FeatureKinds[i] switch
                {
                    AggregateKind.ZScore => Math.Clamp(v, -10f, 10f),
                    AggregateKind.TimeSinceLast => v < 0 ? 16.0 : Math.Log(1 + (double)v),
                    _ => Math.Sign(v) * Math.Log(1 + Math.Abs((double)v)),
                };
                Assert.True(
                    Math.Abs(transformed[offset + i] - expected) <= 2e-6 * Math.Max(1, Math.Abs(expected)),
                    $"{plan.FeatureNames[i]} ({plan.FeatureKinds[i]}): raw {v}, expected {expected}, got {transformed[offset + i]}");
                checkedValues++;
            }
        }

        Assert.True(checkedValues > 2000 * 5);
    }
}
