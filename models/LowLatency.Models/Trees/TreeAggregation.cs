namespace LowLatency.Models.Trees;

/// <summary>How the leaf values of the trees combine.</summary>
public enum TreeAggregation : byte
{
    /// <summary>Gradient boosting: base margin, then each tree's leaf added in tree order (float32).</summary>
    Sum = 0,

    /// <summary>Random forest: the mean of the leaves (summed in tree order, divided by the tree count), plus the base margin.</summary>
    Average = 1,
}
