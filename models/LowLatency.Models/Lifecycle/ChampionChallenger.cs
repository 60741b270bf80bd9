using System.Globalization;
using System.Runtime.CompilerServices;
using LowLatency.Models.Champion;
using LowLatency.Models.Evaluation;
using LowLatency.Models.Online;

namespace LowLatency.Models.Lifecycle;

/// <summary>
/// The learning loop behind the scorer. Decisions are logged in a <see cref="LabelJoinStore"/> (here, or by
/// the caller, who then hands joined examples to <see cref="Learn"/>); each labelled example is checked
/// (garbage features are quarantined; a spike in the positive-label rate pauses learning), then scored
/// prequentially (in shadow) by the champion, the challenger — a <see cref="ChampionLearner"/>: FTRL on the
/// logistic part, leaf refit on the trees — and, for a while after a promotion, the previous champion, and
/// only then learned by the challenger. Every
/// <see cref="LifecycleOptions.CheckEvery"/> labels the rules run: a challenger whose windowed AUC beats
/// the champion's by the margin over at least <see cref="LifecycleOptions.MinLabels"/> labels is snapshotted
/// to disk and promoted; a new champion is on probation for <see cref="LifecycleOptions.RollbackWatch"/>
/// labels, during which the last proven champion is shadow-scored, and if it falls behind that one by the
/// rollback margin it is replaced by it, reloaded (and checksum-verified) from disk with its learner state. Every
/// transition is a <see cref="ModelEvent"/> with its figures. Runs on the learner thread; the only member
/// the scoring thread touches is <see cref="Champion"/>.
/// </summary>
public sealed class ChampionChallenger
{
    private readonly LifecycleOptions _options;
    private readonly VersionStore _store;
    private readonly LabelJoinStore? _join;
    private readonly PrequentialWindow _championWindow;
    private readonly PrequentialWindow _challengerWindow;
    private readonly PrequentialWindow _previousWindow;
    private readonly PrequentialWindow _liveChampionWindow;
    private readonly PrequentialWindow _liveChallengerWindow;
    private readonly FifoIdIndex? _shadowIds;
    private readonly float[] _shadowChallenger;
    private readonly float[] _shadowChampion;
    private double _shadowAbsDifference;
    private readonly PageHinkley _drift;
    private readonly bool[] _spikeRing;
    private readonly List<ModelEvent> _events = [];
    private readonly float[] _psiReference;
    private int _psiReferenceCount;
    private PsiMonitor[]? _psi;
    private int _driftedFeature = -1;

    private ChampionModel _champion;
    private ModelVersion _championVersion;
    private ChampionLearner _championLearner;
    private ChampionLearner _challenger;
    private ModelVersion? _previous;
    private uint _nextVersion;
    private long _sinceTransition;
    private int _spikeNext;
    private int _spikeCount;
    private int _spikePositives;
    private long _basePositives;
    private long _baseTotal;
    private bool _inSpike;

    /// <summary>Publishes the snapshot of <paramref name="initialLearner"/> (or an all-zero logistic model) as version 1; the learner continues as the challenger.</summary>
    /// <param name="options">Policy (validated).</param>
    /// <param name="join">Sizing of the label join store (its dense count must match).</param>
    /// <param name="store">Where versions are written.</param>
    /// <param name="initialLearner">FTRL state to start from (null = fresh); version 1 is its snapshot, over positional features.</param>
    /// <param name="startNs">Event time of the installation.</param>
    public ChampionChallenger(LifecycleOptions options, LabelJoinOptions join, VersionStore store, FtrlLearner? initialLearner = null, long startNs = 0)
        : this(options, join ?? throw new ArgumentNullException(nameof(join)), store,
            ChampionLearner.ForLogistic(initialLearner?.Clone() ?? new FtrlLearner(options?.DenseCount ?? 0, options?.Ftrl)), startNs)
    {
    }

    /// <summary>Publishes <paramref name="initial"/>'s snapshot as version 1; a copy of the learner continues as the challenger.</summary>
    /// <param name="options">Policy (validated).</param>
    /// <param name="join">Sizing of a label join store kept here (its dense count must match), or null when the caller joins labels and calls <see cref="Learn"/>.</param>
    /// <param name="store">Where versions are written.</param>
    /// <param name="initial">The champion's learner (its state is copied, not taken).</param>
    /// <param name="startNs">Event time of the installation.</param>
    public ChampionChallenger(LifecycleOptions options, LabelJoinOptions? join, VersionStore store, ChampionLearner initial, long startNs = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(initial);
        options.Validate();
        if (join is not null && join.DenseCount != options.DenseCount)
        {
            throw new ArgumentException($"The join store logs {join.DenseCount} dense features; the learner expects {options.DenseCount}.", nameof(join));
        }

        if (initial.Layout.DenseCount != options.DenseCount)
        {
            throw new ArgumentException($"The initial learner has {initial.Layout.DenseCount} dense features; options say {options.DenseCount}.", nameof(initial));
        }

        _options = options;
        _store = store;
        _join = join is null ? null : new LabelJoinStore(join);
        _championWindow = new PrequentialWindow(options.Window);
        _challengerWindow = new PrequentialWindow(options.Window);
        _previousWindow = new PrequentialWindow(options.Window);
        _liveChampionWindow = new PrequentialWindow(options.Window);
        _liveChallengerWindow = new PrequentialWindow(options.Window);
        _shadowIds = options.ShadowCapacity > 0 ? new FifoIdIndex(options.ShadowCapacity) : null;
        _shadowChallenger = options.ShadowCapacity > 0 ? CommittedArray.Allocate<float>(options.ShadowCapacity) : [];
        _shadowChampion = options.ShadowCapacity > 0 ? CommittedArray.Allocate<float>(options.ShadowCapacity) : [];
        _drift = new PageHinkley(options.DriftDelta, options.DriftLambda);
        _spikeRing = new bool[options.SpikeWindow];
        _psiReference = new float[options.PsiReference * options.DenseCount];
        _challenger = initial.Clone();
        _championLearner = _challenger.Clone();
        _nextVersion = 1;
        _championVersion = Publish(0, startNs);
        _champion = _championVersion.Model;
        Emit(ModelEventKind.Installed, startNs, 0, "initial model");
    }

    /// <summary>
    /// The model to score with. Acquire read: a scorer that sees the new reference also sees the fully built
    /// model behind it (its arrays were written before the release in <see cref="SetChampion"/>).
    /// </summary>
    public ChampionModel Champion => Volatile.Read(ref _champion);

    /// <summary>Version number of <see cref="Champion"/>.</summary>
    public uint ChampionVersion => _championVersion.Version;

    /// <summary>The learning challenger (learner thread only).</summary>
    public ChampionLearner Challenger => _challenger;

    /// <summary>The join store with its counters (unknown, evicted, duplicate, early labels), or null when labels are joined by the caller.</summary>
    public LabelJoinStore? Join => _join;

    /// <summary>Every transition so far, in order.</summary>
    public IReadOnlyList<ModelEvent> Events => _events;

    /// <summary>Labels that reached the learning loop (joined, or given to <see cref="Learn"/>).</summary>
    public long Labels { get; private set; }

    /// <summary>Labels the challenger learned from.</summary>
    public long Learned { get; private set; }

    /// <summary>Examples refused for their shape (dense length other than the options', or malformed for the learner).</summary>
    public long Malformed { get; private set; }

    /// <summary>Examples quarantined for garbage feature values.</summary>
    public long QuarantinedFeatures { get; private set; }

    /// <summary>Labels held back during a label-rate spike.</summary>
    public long QuarantinedSpike { get; private set; }

    /// <summary>Whether a label-rate spike is in progress.</summary>
    public bool InSpike => _inSpike;

    /// <summary>Whether an operator's hold is in force: the champion stays, whatever the windows say, until released.</summary>
    public bool Held { get; private set; }

    /// <summary>
    /// An operator's hold: from now on no automatic promotion or rollback, so the champion in force (perhaps one an
    /// operator chose) stays until <see cref="Release"/>. Challenger and champion keep learning and being judged, and an
    /// operator's promote or rollback still applies. Returns false, changing nothing, when a hold is already in force.
    /// </summary>
    public bool Hold(long nowNs)
    {
        if (Held)
        {
            return false;
        }

        Held = true;
        Emit(ModelEventKind.Held, nowNs, _championVersion.Version,
            "an operator's hold: no automatic promotion or rollback until released; challenger and champion are still judged");
        return true;
    }

    /// <summary>Ends a hold; the next check may promote or roll back on the windows as they stand. False when none was in force.</summary>
    public bool Release(long nowNs)
    {
        if (!Held)
        {
            return false;
        }

        Held = false;
        Emit(ModelEventKind.Released, nowNs, _championVersion.Version, "an operator released the hold: automatic promotions and rollbacks resume");
        return true;
    }

    /// <summary>The champion's prequential window.</summary>
    public PrequentialWindow ChampionWindow => _championWindow;

    /// <summary>The challenger's prequential window (same examples as the champion's).</summary>
    public PrequentialWindow ChallengerWindow => _challengerWindow;

    /// <summary>Live decisions the challenger scored in shadow (<see cref="Shadow"/>).</summary>
    public long ShadowScored { get; private set; }

    /// <summary>Live decisions not shadow-scored: malformed for the challenger, or a txId already remembered.</summary>
    public long ShadowRefused { get; private set; }

    /// <summary>Labels judged on live shadow scores: their decision was shadow-scored and is still remembered.</summary>
    public long LiveJudged { get; private set; }

    /// <summary>Mean |challenger − champion| probability over the live decisions shadow-scored (NaN before the first).</summary>
    public double ShadowMeanAbsDifference => ShadowScored == 0 ? double.NaN : _shadowAbsDifference / ShadowScored;

    /// <summary>
    /// The champion as it decided live: the scores it actually gave at decision time, judged when their labels arrive
    /// (the examples of <see cref="LiveChallengerWindow"/>). Cleared at each transition, like the other windows.
    /// </summary>
    public PrequentialWindow LiveChampionWindow => _liveChampionWindow;

    /// <summary>The challenger's shadow scores of the same live decisions, given at decision time and judged by their labels.</summary>
    public PrequentialWindow LiveChallengerWindow => _liveChallengerWindow;

    /// <summary>Logs a decision so that its label can join later, and scores it in shadow with the challenger.</summary>
    public RecordStatus OnDecision(ulong txId, long decisionTimeNs, float score, ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys)
    {
        var status = JoinStore.Record(txId, decisionTimeNs, score, dense, keys);
        if (status == RecordStatus.Stored)
        {
            Shadow(txId, score, dense, keys);
        }

        return status;
    }

    /// <summary>Joins a label with its decision and learns from it; anything but <see cref="JoinStatus.Joined"/> is counted by the store and dropped.</summary>
    public JoinStatus OnLabel(ulong txId, long labelTimeNs, bool fraud)
    {
        var status = JoinStore.TryJoin(txId, labelTimeNs, out var example);
        if (status == JoinStatus.Joined)
        {
            Learn(example.Dense, example.Keys, fraud, labelTimeNs, txId);
        }

        return status;
    }

    /// <summary>
    /// Scores a live decision in shadow: the challenger, as it stands, scores what the champion decided on
    /// (<paramref name="championScore"/>), and the pair is remembered by txId (the oldest leave first) until the label
    /// arrives, when <see cref="Learn"/> adds both to the live windows. Nothing is learned; nothing allocates. A no-op
    /// when <see cref="LifecycleOptions.ShadowCapacity"/> is 0.
    /// </summary>
    public void Shadow(ulong txId, float championScore, ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys)
    {
        if (_shadowIds is null)
        {
            return;
        }

        double p = dense.Length == _options.DenseCount ? _challenger.Probability(dense, keys) : double.NaN;
        if (double.IsNaN(p) || _shadowIds.Find(txId) >= 0)
        {
            ShadowRefused++;
            return;
        }

        if (_shadowIds.IsFull)
        {
            _shadowIds.RemoveOldest();
        }

        int pos = _shadowIds.Add(txId);
        _shadowChallenger[pos] = (float)p;
        _shadowChampion[pos] = championScore;
        _shadowAbsDifference += Math.Abs(p - championScore);
        ShadowScored++;
    }

    /// <summary>
    /// One labelled example through guards, prequential scoring, learning and the promotion rules. With the
    /// <paramref name="txId"/> of a decision scored in shadow (<see cref="Shadow"/>; 0 names none), the scores champion
    /// and challenger gave it at decision time are judged too (<see cref="LiveChampionWindow"/>,
    /// <see cref="LiveChallengerWindow"/>).
    /// </summary>
    public void Learn(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys, bool label, long eventTimeNs, ulong txId = 0)
    {
        Labels++;
        if (dense.Length != _options.DenseCount)
        {
            Malformed++;
            return;
        }

        if (_options.Guards && IsGarbage(dense))
        {
            QuarantinedFeatures++;
            return;
        }

        if (_options.Guards && SpikeGuard(label, eventTimeNs))
        {
            QuarantinedSpike++;
            return;
        }

        double champion = _champion.Score(dense, keys).Probability;
        double previous = _previous is { } p ? p.Model.Score(dense, keys).Probability : double.NaN;
        if (!_challenger.TryUpdate(dense, keys, label, out double challenger))
        {
            Malformed++;
            return; // malformed for the learner; the champion is not judged on it either
        }

        Learned++;
        int shadow = _shadowIds is not null && txId != 0 ? _shadowIds.Find(txId) : -1;
        if (shadow >= 0)
        {
            _liveChampionWindow.Add(_shadowChampion[shadow], label);
            _liveChallengerWindow.Add(_shadowChallenger[shadow], label);
            LiveJudged++;
        }

        ObserveFeatures(dense);
        _championWindow.Add(champion, label);
        _challengerWindow.Add(challenger, label);
        if (_previous is not null)
        {
            _previousWindow.Add(previous, label);
        }

        double loss = -Math.Log(Math.Clamp(label ? champion : 1 - champion, 1e-6, 1));
        if (_drift.Add(loss))
        {
            Emit(ModelEventKind.DriftDetected, eventTimeNs, _championVersion.Version,
                string.Create(CultureInfo.InvariantCulture, $"Page-Hinkley alarm on champion log loss (δ={_options.DriftDelta}, λ={_options.DriftLambda}); window AUC {_championWindow.Auc():F4}"));
        }

        _sinceTransition++;
        if (_sinceTransition % _options.CheckEvery == 0)
        {
            CheckFeatureDrift(eventTimeNs);
            Evaluate(eventTimeNs);
        }
    }

    /// <summary>Largest PSI over the features now (NaN before the reference window is complete), and which feature.</summary>
    public double MaxPsi(out int feature)
    {
        feature = -1;
        if (_psi is null)
        {
            return double.NaN;
        }

        double max = double.NegativeInfinity;
        for (int j = 0; j < _psi.Length; j++)
        {
            double v = _psi[j].Psi();
            if (v > max)
            {
                max = v;
                feature = j;
            }
        }

        return max;
    }

    private void ObserveFeatures(ReadOnlySpan<float> dense)
    {
        int d = _options.DenseCount;
        if (_psi is not null)
        {
            for (int j = 0; j < d; j++)
            {
                _psi[j].Add(dense[j]);
            }

            return;
        }

        dense.CopyTo(_psiReference.AsSpan(_psiReferenceCount * d, d));
        if (++_psiReferenceCount == _options.PsiReference)
        {
            // Reference complete: fit the quantile bins once (allocates, once per controller).
            var column = new float[_options.PsiReference];
            _psi = new PsiMonitor[d];
            // One array for every feature's window: past 85 KB it lives on the large-object heap, which a gen-0
            // collection neither copies nor scans, where a hundred window-sized arrays made mid-run would be promoted
            // by the next one (most of its pause, measured).
            var windows = new short[(long)d * _options.PsiWindow];
            for (int j = 0; j < d; j++)
            {
                for (int i = 0; i < column.Length; i++)
                {
                    column[i] = _psiReference[(i * d) + j];
                }

                _psi[j] = new PsiMonitor(column, _options.PsiBins, new ArraySegment<short>(windows, j * _options.PsiWindow, _options.PsiWindow));
            }
        }
    }

    private void CheckFeatureDrift(long nowNs)
    {
        if (_psi is null || _psi[0].Count < _options.PsiWindow)
        {
            return;
        }

        double max = MaxPsi(out int feature);
        if (max > _options.PsiThreshold && _driftedFeature < 0)
        {
            _driftedFeature = feature;
            Emit(ModelEventKind.FeatureDrift, nowNs, _championVersion.Version, string.Create(CultureInfo.InvariantCulture,
                $"feature {feature}: PSI {max:F3} over the last {_options.PsiWindow} examples vs the first {_options.PsiReference} (threshold {_options.PsiThreshold})"));
        }
        else if (max < _options.PsiThreshold / 2)
        {
            _driftedFeature = -1; // settled: a later shift raises a new event
        }
    }

    private void Evaluate(long nowNs)
    {
        if (_sinceTransition < _options.MinLabels || Held)
        {
            return;
        }

        double championAuc = _championWindow.Auc();
        if (_previous is { } previous)
        {
            double previousAuc = _previousWindow.Auc();
            if (previousAuc - championAuc > _options.RollbackMargin)
            {
                Rollback(previous, championAuc, previousAuc, nowNs);
                return;
            }

            if (_sinceTransition >= _options.RollbackWatch)
            {
                _previous = null; // the champion has held its ground long enough
            }
        }

        // Strictly better: with a margin of 0, a tie (two windows both at AUC 1.0, say) is no reason to swap models, and
        // a run of tie promotions would keep the rollback target pinned to an old version (it is reset only once a
        // champion has held its ground for RollbackWatch labels).
        double challengerAuc = _challengerWindow.Auc();
        if (challengerAuc > championAuc + _options.PromotionMargin)
        {
            Promote(championAuc, challengerAuc, nowNs);
        }
    }

    private void Promote(double championAuc, double challengerAuc, long nowNs)
    {
        var from = _championVersion;
        string reason = string.Create(CultureInfo.InvariantCulture,
            $"challenger AUC {challengerAuc:F4} vs champion {championAuc:F4} (margin {_options.PromotionMargin}) over {_championWindow.Count} labels; log loss {_challengerWindow.LogLoss():F4} vs {_championWindow.LogLoss():F4}{LiveFigures()}");
        var version = Publish(from.Version, nowNs);
        if (!_championLearner.TryCopyFrom(_challenger))
        {
            _championLearner = _challenger.Clone();
        }

        // The rollback target is the last proven champion: one promoted while another is still on probation
        // does not become the target, so a chain of quick (possibly poisoned) promotions cannot walk the
        // target away from the last model that held its ground.
        _previous ??= from;
        SetChampion(version);
        Emit(ModelEventKind.Promoted, nowNs, from.Version, reason);
    }

    /// <summary>
    /// Takes version <paramref name="version"/> of the store as the champion because an operator's command put it in force
    /// (the scorer already uses it): its windows start afresh, its learner state becomes what a label-rate spike reverts
    /// to, and the challenger keeps learning from where it stands. Returns false, changing nothing, when the store does
    /// not hold that version (a model registered by other means); true, and nothing happens, when it is already the
    /// champion.
    /// </summary>
    public bool Adopt(uint version, long nowNs)
    {
        if (version == _championVersion.Version)
        {
            return true;
        }

        if (!_store.Versions().Contains(version))
        {
            return false;
        }

        uint from = _championVersion.Version;
        var (adopted, learner) = _store.Read(version, _challenger.Options); // verifies the checksum
        _championLearner = learner ?? _challenger.Clone();
        _previous = null;
        SetChampion(adopted);
        Emit(ModelEventKind.Commanded, nowNs, from, string.Create(CultureInfo.InvariantCulture,
            $"an operator's command put version {version} in force; the learner judges its challenger against it from here"));
        return true;
    }

    /// <summary>The live shadow comparison for a transition's reason, when labels have judged any.</summary>
    private string LiveFigures() => _liveChallengerWindow.Count == 0 ? string.Empty : string.Create(CultureInfo.InvariantCulture,
        $"; live, scored at decision time: challenger AUC {_liveChallengerWindow.Auc():F4} vs champion {_liveChampionWindow.Auc():F4} over {_liveChallengerWindow.Count} labels");

    private void Rollback(ModelVersion to, double championAuc, double previousAuc, long nowNs)
    {
        uint from = _championVersion.Version;
        var (restored, learner) = _store.Read(to.Version, _challenger.Options); // verifies the checksum: a rotten file is an error, not a model
        _challenger = learner ?? new ChampionLearner(restored.Model, null, _challenger.Options);
        _championLearner = _challenger.Clone();
        _previous = null;
        SetChampion(restored);
        Emit(ModelEventKind.RolledBack, nowNs, from, string.Create(CultureInfo.InvariantCulture,
            $"champion AUC {championAuc:F4} fell below the last proven champion's {previousAuc:F4} by more than {_options.RollbackMargin}; restored version {to.Version} and its learner"));
    }

    /// <summary>Returns true when the label must be held back because the positive rate is spiking.</summary>
    private bool SpikeGuard(bool label, long nowNs)
    {
        if (_spikeCount == _spikeRing.Length)
        {
            _spikePositives -= _spikeRing[_spikeNext] ? 1 : 0;
        }
        else
        {
            _spikeCount++;
        }

        _spikeRing[_spikeNext] = label;
        _spikePositives += label ? 1 : 0;
        _spikeNext = _spikeNext + 1 == _spikeRing.Length ? 0 : _spikeNext + 1;

        bool judged = _baseTotal >= _spikeRing.Length;
        double baseRate = judged ? _basePositives / (double)_baseTotal : 0;
        double recent = _spikePositives / (double)_spikeCount;
        bool spiking = judged && recent > _options.SpikeFactor * baseRate && recent > baseRate + _options.SpikeMinExcess;
        if (spiking && !_inSpike)
        {
            _inSpike = true;
            // Labels learned since the spike began are suspect: go back to the champion's learner state.
            if (!_challenger.TryCopyFrom(_championLearner))
            {
                _challenger = _championLearner.Clone();
            }

            ClearWindows();
            Emit(ModelEventKind.LabelSpikeStarted, nowNs, _championVersion.Version, string.Create(CultureInfo.InvariantCulture,
                $"positive rate {recent:P2} over the last {_spikeCount} labels vs long-run {baseRate:P2}; labels quarantined, challenger reset to version {_championVersion.Version}'s learner"));
        }
        else if (!spiking && _inSpike)
        {
            _inSpike = false;
            Emit(ModelEventKind.LabelSpikeEnded, nowNs, _championVersion.Version, string.Create(CultureInfo.InvariantCulture,
                $"positive rate back to {recent:P2} (long-run {baseRate:P2})"));
        }

        if (_inSpike)
        {
            return true;
        }

        _basePositives += label ? 1 : 0;
        _baseTotal++;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsGarbage(ReadOnlySpan<float> dense)
    {
        float bound = _options.QuarantineBound;
        foreach (float v in dense)
        {
            // NaN is "missing" and legitimate; ±∞ and absurd magnitudes are not.
            if (Math.Abs(v) > bound)
            {
                return true;
            }
        }

        return false;
    }

    private LabelJoinStore JoinStore => _join ?? throw new InvalidOperationException("This controller keeps no join store: join labels elsewhere and call Learn.");

    private ModelVersion Publish(uint parent, long nowNs) =>
        _store.Write(_nextVersion++, parent, nowNs, _challenger.Snapshot(), _challenger);

    private void SetChampion(ModelVersion version)
    {
        _championVersion = version;
        // Release: the model's arrays are complete before a scorer can observe the reference.
        Volatile.Write(ref _champion, version.Model);
        ClearWindows();
    }

    private void ClearWindows()
    {
        _championWindow.Clear();
        _challengerWindow.Clear();
        _previousWindow.Clear();
        _liveChampionWindow.Clear();
        _liveChallengerWindow.Clear();
        _sinceTransition = 0;
        _drift.Reset();
    }

    private void Emit(ModelEventKind kind, long nowNs, uint from, string reason) =>
        _events.Add(new ModelEvent(kind, Labels, nowNs, from, _championVersion.Version, reason));
}
