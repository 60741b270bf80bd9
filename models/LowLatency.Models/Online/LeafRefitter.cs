using LowLatency.Models.Trees;

namespace LowLatency.Models.Online;

/// <summary>
/// Online refit of the leaf values of an imported tree ensemble under logistic loss, keeping its structure.
/// For each labelled event it accumulates, at the leaf the event reaches in every tree, the gradient
/// g = ∂loss/∂leaf = (p − y)·s and hessian h = p(1 − p)·s² (s = 1 for a boosted sum, 1/T for a forest
/// average); <see cref="Refit"/> then moves each touched leaf by one damped Newton step
/// η·(−G / (H + λ)) in its working copy of the ensemble, in place (so a refit allocates nothing; <see cref="Snapshot"/>
/// copies the ensemble out when a version is published). Every tree is refit against the same
/// gradients at once: each leaf's own Newton step moves the margin by the full step, T trees together by T
/// times it (for a sum, and likewise for an average, where a leaf moves 1/s = T times further but counts
/// s = 1/T as much), so the default η = 1/T shares one step between the trees. <see cref="Observe"/> allocates nothing.
/// </summary>
public sealed class LeafRefitter
{
    private readonly double _lambda;
    private readonly double _eta;
    private readonly double _scale;
    private readonly double[] _gradient;
    private readonly double[] _hessian;
    private readonly float[] _values; // every node's value in the working copy (leaves: the current leaf values)
    private readonly TreeEnsemble _model; // the working copy: never handed out while it can still change
    private readonly TreeEnsemble _structure; // the ensemble this refitter was made for (its trees, not its leaves)
    private long _observed;

    /// <summary>Starts from <paramref name="model"/>, which must have a logistic output.</summary>
    /// <param name="model">The ensemble whose leaves are refit.</param>
    /// <param name="l2">λ, the L2 damping of each Newton step (default 1).</param>
    /// <param name="learningRate">η; 0 (default) = 1 / trees.</param>
    public LeafRefitter(TreeEnsemble model, double l2 = 1.0, double learningRate = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Output == TreeOutput.RawMargin)
        {
            throw new ArgumentException("Leaf refit uses logistic loss; the ensemble's output is a raw margin.", nameof(model));
        }

        if (!(l2 >= 0) || !(learningRate >= 0))
        {
            throw new ArgumentException($"l2 and learningRate must be >= 0; got {l2} and {learningRate}.");
        }

        _structure = model;
        _values = new float[model.NodeCount];
        for (int n = 0; n < _values.Length; n++)
        {
            _values[n] = model.NodeValue(n);
        }

        _model = model.WithLeafValues(_values);
        _lambda = l2;
        _scale = model.Aggregation == TreeAggregation.Sum ? 1.0 : 1.0 / model.TreeCount;
        _eta = learningRate > 0 ? learningRate : 1.0 / model.TreeCount;
        _gradient = new double[model.NodeCount];
        _hessian = new double[model.NodeCount];
    }

    private LeafRefitter(LeafRefitter other)
    {
        _structure = other._structure;
        _values = (float[])other._values.Clone();
        _model = other._model.WithLeafValues(_values);
        _lambda = other._lambda;
        _eta = other._eta;
        _scale = other._scale;
        _gradient = (double[])other._gradient.Clone();
        _hessian = (double[])other._hessian.Clone();
        _observed = other._observed;
    }

    /// <summary>A copy that continues independently: same ensemble, same statistics gathered since the last refit.</summary>
    public LeafRefitter Clone() => new(this);

    /// <summary>Whether <see cref="CopyFrom"/> takes <paramref name="other"/> (made for the same ensemble, or a clone of one that was; the same settings).</summary>
    public bool CanCopyFrom(LeafRefitter other) =>
        other is not null && ReferenceEquals(other._structure, _structure) && other._lambda == _lambda && other._eta == _eta && other._scale == _scale;

    /// <summary>
    /// Makes this refitter continue exactly where <paramref name="other"/> stands (its ensemble and statistics), in place: what <see cref="Clone"/> gives, without allocating. Both must refit ensembles of one shape.
    /// </summary>
    public void CopyFrom(LeafRefitter other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!CanCopyFrom(other))
        {
            throw new ArgumentException("Refitters of ensembles of different shapes or settings: copy by Clone instead.", nameof(other));
        }

        other._values.AsSpan().CopyTo(_values);
        _model.OverwriteLeafValues(_values);
        other._gradient.AsSpan().CopyTo(_gradient);
        other._hessian.AsSpan().CopyTo(_hessian);
        _observed = other._observed;
    }

    /// <summary>
    /// The working ensemble as it stands: changed in place by each <see cref="Refit"/> and <see cref="CopyFrom"/>. Read it,
    /// never keep it; <see cref="Snapshot"/> gives a copy that stays.
    /// </summary>
    public TreeEnsemble Model => _model;

    /// <summary>An immutable copy of the ensemble as it stands (what a published version carries). Allocates.</summary>
    public TreeEnsemble Snapshot() => _model.WithLeafValues(_values);

    /// <summary>Leaf steps not taken because they would have made the leaf non-finite.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>Events observed since the last refit.</summary>
    public long Observed => _observed;

    /// <summary>Accumulated gradient at global node <paramref name="node"/>.</summary>
    public double Gradient(int node) => _gradient[node];

    /// <summary>Accumulated hessian at global node <paramref name="node"/>.</summary>
    public double Hessian(int node) => _hessian[node];

    /// <summary>Accumulates one labelled event. Returns the model's probability for it (before any refit); false input length → NaN, nothing learned.</summary>
    public double Observe(ReadOnlySpan<float> features, bool label)
    {
        if (features.Length < _model.FeatureCount)
        {
            return double.NaN;
        }

        double margin = _model.Margin(features);
        double p = margin >= 0 ? 1.0 / (1.0 + Math.Exp(-margin)) : Math.Exp(margin) / (1.0 + Math.Exp(margin));
        double g = (p - (label ? 1.0 : 0.0)) * _scale;
        double h = p * (1 - p) * _scale * _scale;
        for (int t = 0; t < _model.TreeCount; t++)
        {
            int leaf = _model.LeafIndex(t, features);
            _gradient[leaf] += g;
            _hessian[leaf] += h;
        }

        _observed++;
        return p;
    }

    /// <summary>
    /// Applies the accumulated Newton steps to the working ensemble (in place) and clears the statistics. A step that
    /// would make a leaf non-finite (a vanishing hessian with λ = 0) is not taken, and counted in <see cref="SkippedSteps"/>.
    /// </summary>
    public void Refit()
    {
        for (int n = 0; n < _values.Length; n++)
        {
            if (_model.IsLeafNode(n) && _hessian[n] > 0)
            {
                float next = (float)(_values[n] + (_eta * (-_gradient[n] / (_hessian[n] + _lambda))));
                if (float.IsFinite(next))
                {
                    _values[n] = next;
                }
                else
                {
                    SkippedSteps++;
                }
            }
        }

        _model.OverwriteLeafValues(_values);
        Array.Clear(_gradient);
        Array.Clear(_hessian);
        _observed = 0;
    }
}
