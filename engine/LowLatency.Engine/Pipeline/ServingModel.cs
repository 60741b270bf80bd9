using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using LowLatency.Engine.Journal;
using LowLatency.Models;
using LowLatency.Models.Champion;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// The champion as the pipeline serves it: an immutable <see cref="ChampionModel"/> (SIMD logistic regression over the
/// dense features and the event's hashed keys, and/or a tree ensemble, combined as its <see cref="ChampionBlend"/> says),
/// the version its decisions report, where it came from, and a behavioural fingerprint journaled at every swap. Shared
/// by reference and never changed: a new version is a new object.
/// </summary>
public sealed class ServingModel
{
    /// <summary>Wraps <paramref name="champion"/> as version <paramref name="version"/>.</summary>
    public ServingModel(ChampionModel champion, uint version, string origin = "")
    {
        ArgumentNullException.ThrowIfNull(champion);
        ArgumentNullException.ThrowIfNull(origin);
        if (champion.Layout.DenseCount > FeatureBuffer.Capacity)
        {
            throw new ArgumentException($"The model reads {champion.Layout.DenseCount} dense features; a pipeline slot holds {FeatureBuffer.Capacity}.", nameof(champion));
        }

        Champion = champion;
        Version = version;
        Origin = origin;
        Fingerprint = FingerprintOf(champion, version);
        // The trees' batch layout (PipelineOptions.ScoreInGroups) is built here, on the thread that makes the model (the
        // learner's, a loader's), not by the processing thread the first time a swapped-in model scores a group.
        _ = champion.Trees?.ScoresBatchesAcrossRows;
    }

    /// <summary>The model.</summary>
    public ChampionModel Champion { get; }

    /// <summary>Model version reported in decisions.</summary>
    public uint Version { get; }

    /// <summary>Where the model came from (file, training run), for people reading logs and journals.</summary>
    public string Origin { get; }

    /// <summary>Dense features the model reads (its layout).</summary>
    public int DenseCount => Champion.Layout.DenseCount;

    /// <summary>
    /// The version in the high 32 bits over a CRC-32C of the model's margins on 64 fixed pseudo-random events (dense values
    /// and hashed keys): two models with equal fingerprints score those probes bit for bit alike, which in practice means
    /// the same weights and trees.
    /// </summary>
    public ulong Fingerprint { get; }

    /// <summary>A one-line description: parts, sizes, combination.</summary>
    public string Describe()
    {
        var c = Champion;
        string logistic = c.Logistic is { } l ? $"logistic over {l.DenseCount} features + {1 << l.HashBits:N0} hashed-key weights" : string.Empty;
        string trees = c.Trees is { } t ? $"{t.TreeCount} trees of depth ≤ {t.MaxDepth}" : string.Empty;
        return (c.Logistic, c.Trees) switch
        {
            (not null, not null) when c.Blend.Mode == ChampionCombination.Max => $"max of {logistic} and {trees}",
            (not null, not null) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{c.Blend.LogisticWeight:0.##} × {logistic} + {c.Blend.TreeWeight:0.##} × {trees}"),
            (not null, null) => logistic,
            _ => trees,
        };
    }

    /// <summary>
    /// Scores a featurized slot: probability, model version, the outcome <paramref name="policy"/> gives it and, when
    /// <paramref name="reasons"/> asks for them, the top reason codes (largest |contribution| first: exact for the
    /// logistic part, measured from the model's reference point; Saabas path contributions for trees). The explaining
    /// walk returns the plain score's bits, so the score never depends on whether reasons were computed. Allocates
    /// nothing: the explain scratch is on the stack.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Score(ref PipelineSlot slot, DecisionPolicy policy, ReasonCodes reasons) => Score(ref slot, policy, reasons, false, 0f);

    /// <summary>
    /// <see cref="Score(ref PipelineSlot, DecisionPolicy, ReasonCodes)"/> with the trees' margin already computed for
    /// this slot's features (<paramref name="treeMargin"/>, from a batch across events): the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Score(ref PipelineSlot slot, DecisionPolicy policy, ReasonCodes reasons, float treeMargin) => Score(ref slot, policy, reasons, true, treeMargin);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Score(ref PipelineSlot slot, DecisionPolicy policy, ReasonCodes reasons, bool haveTreeMargin, float treeMargin)
    {
        ReadOnlySpan<float> dense = ((ReadOnlySpan<float>)slot.Features)[..DenseCount];
        ReadOnlySpan<ulong> keys = ((ReadOnlySpan<ulong>)slot.Keys)[..slot.KeyCount];
        slot.Decision.ModelVersion = Version;
        if (reasons == ReasonCodes.All)
        {
            Explain(ref slot, dense, keys);
            slot.Decision.Outcome = policy.Decide(slot.Decision.Score);
            return;
        }

        float margin = haveTreeMargin ? Champion.Margin(dense, keys, treeMargin) : Champion.Margin(dense, keys);
        float probability = Champion.ToProbability(margin);
        var outcome = policy.Decide(probability);
        slot.Decision.Score = probability;
        slot.Decision.Outcome = outcome;
        slot.ReasonCount = 0;
        if (reasons == ReasonCodes.Flagged && outcome != Events.Outcome.Approve)
        {
            Explain(ref slot, dense, keys);
        }
    }

    /// <summary>Scores with the explaining walk: probability and top reason codes into the slot.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Explain(ref PipelineSlot slot, ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys)
    {
        Span<float> scratch = stackalloc float[FeatureBuffer.Capacity + SparseKeyBuffer.Capacity];
        Span<Contribution> top = stackalloc Contribution[ReasonBuffer.Capacity];
        var score = Champion.Explain(dense, keys, scratch, top);
        slot.Decision.Score = score.Probability;
        for (int i = 0; i < score.ReasonCount; i++)
        {
            slot.Reasons[i] = new ReasonCode { FeatureId = (ushort)top[i].Feature, Contribution = top[i].Value };
        }

        slot.ReasonCount = (byte)score.ReasonCount;
    }

    private static ulong FingerprintOf(ChampionModel model, uint version)
    {
        Span<float> x = stackalloc float[model.Layout.DenseCount];
        Span<ulong> keys = stackalloc ulong[4];
        Span<byte> bits = stackalloc byte[4];
        ulong state = 0x9E3779B97F4A7C15UL;
        uint crc = ~0u;
        for (int probe = 0; probe < 64; probe++)
        {
            for (int i = 0; i < x.Length; i++)
            {
                state = (state * 6364136223846793005UL) + 1442695040888963407UL;
                x[i] = (float)((state >> 40) / (double)(1UL << 24) * 8.0 - 2.0);
            }

            for (int k = 0; k < keys.Length; k++)
            {
                state = (state * 6364136223846793005UL) + 1442695040888963407UL;
                keys[k] = state;
            }

            BinaryPrimitives.WriteSingleLittleEndian(bits, model.Margin(x, keys));
            crc = Crc32C.Append(crc, bits);
        }

        return ((ulong)version << 32) | ~crc;
    }
}
