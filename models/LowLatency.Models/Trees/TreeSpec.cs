namespace LowLatency.Models.Trees;

/// <summary>
/// One decision tree as plain arrays with tree-local node indices, node 0 the root — the neutral form
/// importers produce and <see cref="TreeEnsemble.Create"/> validates and flattens. Internal node i goes
/// left when x[Feature[i]] &lt; Threshold[i] (strict, as XGBoost), right otherwise; a missing value (NaN)
/// follows DefaultLeft[i]. A leaf has Left[i] = Right[i] = -1 and its output in LeafValue[i].
/// </summary>
public sealed class TreeSpec
{
    /// <summary>Creates a tree from arrays (not copied here; the ensemble copies them when built).</summary>
    public TreeSpec(int[] left, int[] right, int[] feature, float[] threshold, bool[] defaultLeft, float[] leafValue)
    {
        Left = left;
        Right = right;
        Feature = feature;
        Threshold = threshold;
        DefaultLeft = defaultLeft;
        LeafValue = leafValue;
    }

    /// <summary>Left child per node, -1 for a leaf.</summary>
    public int[] Left { get; }

    /// <summary>Right child per node, -1 for a leaf.</summary>
    public int[] Right { get; }

    /// <summary>Split feature per internal node.</summary>
    public int[] Feature { get; }

    /// <summary>Split threshold per internal node (go left when x &lt; threshold).</summary>
    public float[] Threshold { get; }

    /// <summary>Direction of a missing value per internal node.</summary>
    public bool[] DefaultLeft { get; }

    /// <summary>Output per leaf (ignored for internal nodes).</summary>
    public float[] LeafValue { get; }

    /// <summary>Optional training cover (sum of hessians) per node; weights internal node values for Saabas reason codes.</summary>
    public float[]? Cover { get; init; }

    /// <summary>
    /// Optional: nodes where a value with |x| ≤ 1e-35 or NaN is "missing" and follows DefaultLeft
    /// (LightGBM missing_type=Zero). Such ensembles use the general node walk.
    /// </summary>
    public bool[]? ZeroIsMissing { get; init; }

    /// <summary>
    /// Optional categorical splits: for node i with a non-null entry, x is truncated toward zero to an integer
    /// category c and goes left when bit c of the set is on; NaN, negative (x ≤ -1) or out-of-set categories go right
    /// (LightGBM semantics). Threshold is ignored for such nodes.
    /// </summary>
    public uint[]?[]? CategorySets { get; init; }

    /// <summary>Number of nodes.</summary>
    public int NodeCount => Left.Length;
}
