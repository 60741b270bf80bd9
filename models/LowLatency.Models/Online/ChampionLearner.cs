using LowLatency.Models.Champion;
using LowLatency.Models.Linear;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Online;

/// <summary>
/// Learns a whole <see cref="ChampionModel"/> online: its logistic part by FTRL-Proximal (<see cref="FtrlLearner"/>), its
/// tree part by refitting the leaves of the ensemble (<see cref="LeafRefitter"/>, structure kept), combined by the
/// champion's own blend. With <see cref="ChampionLearnerOptions.OnlineTree"/> it also grows a Hoeffding tree from the same
/// labels (<see cref="HoeffdingTree"/>, drift-aware when adaptive), published as the champion's online tree part. Each
/// part learns its own logistic loss, so a blend of margins keeps meaning what it meant when the parts were trained. A
/// part without learner state (a logistic model loaded from a file, a regression ensemble)
/// stays as it is. <see cref="TryUpdate"/> is test-then-train and allocates nothing except at a leaf refit (every
/// <see cref="ChampionLearnerOptions.RefitEvery"/> labels); <see cref="Snapshot"/> is the model as the learner scores now.
/// Single-threaded: owned by the learner thread.
/// </summary>
public sealed class ChampionLearner
{
    private readonly ChampionModel _template;
    private readonly ChampionLearnerOptions _options;
    private readonly FtrlLearner? _logistic;
    private readonly InputScaling? _scaling;
    private readonly float[] _scaled;
    private readonly LeafRefitter? _trees;
    private readonly HoeffdingTree? _online;
    private int _sinceRefit;

    /// <summary>
    /// Starts from <paramref name="start"/>. <paramref name="logistic"/> (its state, not copied) learns the logistic part
    /// and must read the same dense features and hash bits; null leaves that part fixed. With <paramref name="scaling"/>,
    /// the FTRL learner works on standardised features and the published logistic part is its weights folded back to raw
    /// values (<see cref="InputScaling.Fold"/>), so the start's logistic part must be that fold. The tree part, when it
    /// has a logistic output, is refit. <paramref name="onlineTree"/> (its state, not copied) continues the online tree part;
    /// without it, <see cref="ChampionLearnerOptions.OnlineTree"/> starts a fresh one when the start has no online tree (an
    /// online tree in the start without its learner state stays as it is).
    /// </summary>
    public ChampionLearner(ChampionModel start, FtrlLearner? logistic, ChampionLearnerOptions? options = null, InputScaling? scaling = null, HoeffdingTree? onlineTree = null)
    {
        ArgumentNullException.ThrowIfNull(start);
        _options = options ?? new ChampionLearnerOptions();
        _options.Validate();
        if (logistic is not null)
        {
            if (start.Logistic is null)
            {
                throw new ArgumentException("A logistic learner was given for a champion without a logistic part.", nameof(logistic));
            }

            if (logistic.DenseCount != start.Layout.DenseCount || logistic.Options.HashBits != start.Layout.HashBits)
            {
                throw new ArgumentException(
                    $"The logistic learner reads {logistic.DenseCount} features and 2^{logistic.Options.HashBits} hashed slots; the champion's layout has {start.Layout.DenseCount} and 2^{start.Layout.HashBits}.", nameof(logistic));
            }
        }

        if (scaling is not null && scaling.Count != start.Layout.DenseCount)
        {
            throw new ArgumentException($"The input scaling covers {scaling.Count} features; the champion's layout has {start.Layout.DenseCount}.", nameof(scaling));
        }

        if (onlineTree is not null && onlineTree.FeatureCount != start.Layout.DenseCount)
        {
            throw new ArgumentException($"The online tree reads {onlineTree.FeatureCount} features; the champion's layout has {start.Layout.DenseCount}.", nameof(onlineTree));
        }

        _online = onlineTree ?? (_options.OnlineTree is { } treeOptions && start.OnlineTree is null ? new HoeffdingTree(start.Layout.DenseCount, treeOptions) : null);
        // A fresh online tree takes its weight from the options; a restored one keeps the weight it was published with.
        _template = _online is not null && start.OnlineTree is null
            ? start.WithParts(start.Logistic, start.Trees, null, start.Blend with { OnlineTreeWeight = (float)_options.OnlineTreeWeight })
            : start;
        _logistic = logistic;
        _scaling = logistic is null ? null : scaling;
        _scaled = new float[_scaling is null ? 0 : start.Layout.DenseCount];
        _trees = start.Trees is { Output: not TreeOutput.RawMargin } t ? new LeafRefitter(t, _options.LeafL2, _options.LeafLearningRate) : null;
    }

    private ChampionLearner(ChampionLearner other)
    {
        _template = other._template;
        _options = other._options;
        _logistic = other._logistic?.Clone();
        _scaling = other._scaling;
        _scaled = new float[other._scaled.Length];
        _trees = other._trees?.Clone();
        _online = other._online?.Clone();
        _sinceRefit = other._sinceRefit;
        Updates = other.Updates;
    }

    /// <summary>
    /// Makes this learner continue exactly where <paramref name="other"/> stands, in place, when both learn the same
    /// champion template with the same parts and options (a challenger and the champion's learner forked from one start):
    /// what <see cref="Clone"/> gives without allocating megabytes of learner state. Returns false, changing nothing, when
    /// the two differ in shape (then clone).
    /// </summary>
    public bool TryCopyFrom(ChampionLearner other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(other, this))
        {
            return true;
        }

        if (!ReferenceEquals(other._template, _template) || other._options != _options || !ReferenceEquals(other._scaling, _scaling)
            || !Compatible(_logistic, other._logistic, static (a, b) => a.CanCopyFrom(b))
            || !Compatible(_trees, other._trees, static (a, b) => a.CanCopyFrom(b))
            || !Compatible(_online, other._online, static (a, b) => a.CanCopyFrom(b)))
        {
            return false;
        }

        _logistic?.CopyFrom(other._logistic!);
        _trees?.CopyFrom(other._trees!);
        _online?.CopyFrom(other._online!);
        _sinceRefit = other._sinceRefit;
        Updates = other.Updates;
        Rejected = 0; // as a clone starts
        return true;
    }

    /// <summary>Both parts absent, or both present and copyable.</summary>
    private static bool Compatible<T>(T? mine, T? theirs, Func<T, T, bool> canCopy)
        where T : class =>
        mine is null ? theirs is null : theirs is not null && canCopy(mine, theirs);

    /// <summary>A champion of one fresh (or given) FTRL learner over positional features f0…: the plain logistic case.</summary>
    public static ChampionLearner ForLogistic(FtrlLearner learner, ChampionLearnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(learner);
        var model = learner.Snapshot();
        return new ChampionLearner(new ChampionModel(ModelLayout.Positional(learner.DenseCount, model.HashBits), model, null, ChampionBlend.Sum), learner, options);
    }

    /// <summary>The input the learner expects.</summary>
    public ModelLayout Layout => _template.Layout;

    /// <summary>The options in force.</summary>
    public ChampionLearnerOptions Options => _options;

    /// <summary>The FTRL learner of the logistic part, or null when that part is fixed or absent.</summary>
    public FtrlLearner? Logistic => _logistic;

    /// <summary>The standardisation the logistic learner works in, or null (raw features).</summary>
    public InputScaling? Scaling => _scaling;

    /// <summary>The leaf refitter of the tree part, or null when that part is fixed or absent.</summary>
    public LeafRefitter? Trees => _trees;

    /// <summary>The Hoeffding tree of the online tree part, or null when there is none or it is fixed.</summary>
    public HoeffdingTree? OnlineTree => _online;

    /// <summary>Labelled examples learned from.</summary>
    public long Updates { get; private set; }

    /// <summary>Examples refused as malformed (wrong dense length, too many keys, infinite values).</summary>
    public long Rejected { get; private set; }

    /// <summary>
    /// Test-then-train: the probability the blended parts give the example as they stand, then one update of each
    /// learning part. False (counted, nothing learned) for a malformed example.
    /// </summary>
    public bool TryUpdate(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys, bool label, out double probability)
    {
        probability = double.NaN;
        if (dense.Length != _template.Layout.DenseCount)
        {
            Rejected++;
            return false;
        }

        ReadOnlySpan<float> learnerInput = LearnerInput(dense);
        double margin = MarginOf(dense, learnerInput, keys);
        if (double.IsNaN(margin))
        {
            Rejected++;
            return false;
        }

        probability = Sigmoid(margin);
        if (_logistic is not null && !_logistic.TryUpdate(learnerInput, keys, label, out _))
        {
            Rejected++;
            probability = double.NaN;
            return false;
        }

        if (_trees is not null)
        {
            _trees.Observe(dense, label);
            if (++_sinceRefit >= _options.RefitEvery)
            {
                _trees.Refit();
                _sinceRefit = 0;
            }
        }

        _online?.Learn(dense, label);
        Updates++;
        return true;
    }

    /// <summary>
    /// The probability the blended parts give an example as they stand, learning nothing (NaN when malformed): what
    /// <see cref="TryUpdate"/> reports before its update.
    /// </summary>
    public double Probability(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys)
    {
        if (dense.Length != _template.Layout.DenseCount)
        {
            return double.NaN;
        }

        return Sigmoid(MarginOf(dense, LearnerInput(dense), keys));
    }

    /// <summary>What the FTRL learner reads: <paramref name="dense"/> standardised into the scratch row, or as it is.</summary>
    private ReadOnlySpan<float> LearnerInput(ReadOnlySpan<float> dense)
    {
        if (_scaling is null)
        {
            return dense;
        }

        _scaling.Apply(dense, _scaled);
        return _scaled;
    }

    /// <summary>
    /// The champion as the learner scores now (FTRL weights rounded to float and folded back to raw features, the last
    /// leaf refit; statistics gathered since then are not applied), with the starting champion's layout, blend and
    /// reference point. Allocates.
    /// </summary>
    public ChampionModel Snapshot()
    {
        LogisticModel? logistic = _logistic is null ? _template.Logistic : _scaling is null ? _logistic.Snapshot() : _scaling.Fold(_logistic.Snapshot());
        TreeEnsemble? trees = _trees?.Snapshot() ?? _template.Trees;
        // A tree that has learned nothing is left out, so the first snapshot scores exactly as the starting champion.
        TreeEnsemble? online = _online is null ? _template.OnlineTree : _online.Examples > 0 ? _online.Snapshot() : null;
        return _template.WithParts(logistic, trees, online, _template.Blend);
    }

    /// <summary>A deep copy that continues independently (forks a challenger from the champion).</summary>
    public ChampionLearner Clone() => new(this);

    /// <summary>
    /// Writes the learner state that <see cref="Snapshot"/> does not hold (the FTRL coordinates, the online tree's
    /// statistics). The tree part's state is its current ensemble, which is the snapshot's; statistics since the last
    /// refit are not kept.
    /// </summary>
    public void WriteState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Updates);
        writer.Write(_logistic is not null);
        _logistic?.WriteState(writer);
        writer.Write(_scaling is not null);
        _scaling?.Write(writer);
        writer.Write(_online is not null);
        _online?.WriteState(writer);
    }

    /// <summary>Restores a learner written by <see cref="WriteState"/> beside <paramref name="snapshot"/>; <see cref="ModelFormatException"/> when malformed.</summary>
    public static ChampionLearner ReadState(BinaryReader reader, ChampionModel snapshot, ChampionLearnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(snapshot);
        long updates = reader.ReadInt64();
        var logistic = reader.ReadBoolean() ? FtrlLearner.ReadState(reader) : null;
        var scaling = reader.ReadBoolean() ? InputScaling.Read(reader) : null;
        // States written before the online tree existed end here.
        bool more = !reader.BaseStream.CanSeek || reader.BaseStream.Position < reader.BaseStream.Length;
        var online = more && reader.ReadBoolean() ? HoeffdingTree.ReadState(reader) : null;
        try
        {
            return new ChampionLearner(snapshot, logistic, options, scaling, online) { Updates = updates };
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"learner state: {e.Message}", e);
        }
    }

    /// <summary>The blended margin of the parts as they stand; NaN when the logistic learner finds the example malformed.</summary>
    private double MarginOf(ReadOnlySpan<float> dense, ReadOnlySpan<float> learnerInput, ReadOnlySpan<ulong> keys)
    {
        double logisticMargin = 0, treeMargin = 0;
        if (_logistic is not null)
        {
            logisticMargin = _logistic.Margin(learnerInput, keys);
            if (double.IsNaN(logisticMargin))
            {
                return double.NaN;
            }
        }
        else if (_template.Logistic is { } fixedLogistic)
        {
            logisticMargin = fixedLogistic.Margin(dense, keys);
        }

        if ((_trees?.Model ?? _template.Trees) is { } trees)
        {
            treeMargin = trees.Margin(dense);
        }

        var blend = _template.Blend;
        bool hasLogistic = _template.Logistic is not null, hasTrees = _template.Trees is not null;
        double l = hasLogistic ? blend.LogisticWeight * logisticMargin : 0;
        double t = hasTrees ? blend.TreeWeight * treeMargin : 0;
        double margin = blend.Mode == ChampionCombination.Max && hasLogistic && hasTrees ? blend.Intercept + Math.Max(l, t) : blend.Intercept + l + t;
        if (_online is not null)
        {
            margin += blend.OnlineTreeWeight * _online.Margin(dense);
        }
        else if (_template.OnlineTree is { } fixedOnline)
        {
            margin += blend.OnlineTreeWeight * fixedOnline.Margin(dense);
        }

        return margin;
    }

    private static double Sigmoid(double margin) => margin >= 0 ? 1.0 / (1.0 + Math.Exp(-margin)) : Math.Exp(margin) / (1.0 + Math.Exp(margin));
}
