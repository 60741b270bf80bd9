using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LowLatency.Engine.Events;
using LowLatency.Engine.Features;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// The model's input vector for one event: a few features of the message alone (amount, channel, time of
/// day, order action), then the feature store's rolling aggregates, read as of just before the event and
/// then updated. Magnitudes (counts, sums, amounts, speeds, gaps) go through a signed log so a linear
/// model sees comparable scales; z-scores are clipped. Trees are unaffected by either (both are monotone).
/// Single-threaded, like the store it owns; no call allocates.
/// </summary>
public sealed class Featurizer : IDisposable
{
    /// <summary>The features of a transaction computed from the message alone, first in the vector.</summary>
    public static readonly string[] TransactionEventNames =
        ["log_amount", "ecommerce", "keyed_or_on_file", "card_present", "three_d_secure", "night"];

    /// <summary>The features of an order computed from the message alone, first in the vector.</summary>
    public static readonly string[] OrderEventNames =
        ["log_quantity", "log_notional", "sell", "new", "cancel", "replace", "fill"];

    /// <summary>Stand-in for "no previous event": log(1 + seconds) of about three months.</summary>
    private const float NeverSeenLogSeconds = 16f;
    private const float ZScoreClip = 10f;

    private FeatureStore _store;
    private readonly Transform[] _transforms;
    private readonly float[] _isClip;
    private readonly float[] _isSeconds;
    private readonly string[] _names;
    private readonly int _eventCount;

    private enum Transform : byte
    {
        SignedLog,
        LogSeconds,
        Clip,
    }

    /// <summary>Allocates an empty store for <paramref name="plan"/>; throws when the vector would exceed <see cref="FeatureBuffer.Capacity"/>.</summary>
    public Featurizer(FeaturePlan plan)
        : this(new FeatureStore(plan ?? throw new ArgumentNullException(nameof(plan))))
    {
    }

    /// <summary>
    /// Wraps an existing store (for example one loaded from a snapshot, or warmed on history) and takes ownership of it.
    /// </summary>
    public Featurizer(FeatureStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        FeaturePlan plan = store.Plan;
        string[] eventNames = plan.Spec.Event == FeatureEventKind.Transaction ? TransactionEventNames : OrderEventNames;
        _eventCount = eventNames.Length;
        _names = [.. eventNames, .. plan.FeatureNames];
        if (_names.Length > FeatureBuffer.Capacity)
        {
            store.Dispose();
            throw new ArgumentException(
                $"The feature spec yields {plan.VectorLength} aggregates; with {_eventCount} event features that is {_names.Length}, " +
                $"more than the {FeatureBuffer.Capacity} a pipeline slot holds. Remove aggregates from the spec.");
        }

        _transforms = new Transform[plan.VectorLength];
        // Per-element selectors for the vector transform, padded to whole vectors of 8.
        _isClip = new float[(plan.VectorLength + 7) & ~7];
        _isSeconds = new float[_isClip.Length];
        for (int i = 0; i < _transforms.Length; i++)
        {
            _transforms[i] = plan.FeatureKinds[i] switch
            {
                AggregateKind.ZScore => Transform.Clip,
                AggregateKind.TimeSinceLast => Transform.LogSeconds,
                _ => Transform.SignedLog,
            };
            _isClip[i] = _transforms[i] == Transform.Clip ? 1f : 0f;
            _isSeconds[i] = _transforms[i] == Transform.LogSeconds ? 1f : 0f;
        }

        _store = store;
    }

    /// <summary>The names a featurizer for <paramref name="plan"/> writes, in vector order, without allocating its store.</summary>
    public static string[] NamesFor(FeaturePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return [.. plan.Spec.Event == FeatureEventKind.Transaction ? TransactionEventNames : OrderEventNames, .. plan.FeatureNames];
    }

    /// <summary>Feature names in vector order: the model's expected layout.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Length of the vector written per event.</summary>
    public int Count => _names.Length;

    /// <summary>Which message type this featurizer reads.</summary>
    public FeatureEventKind Event => _store.Plan.Spec.Event;

    /// <summary>The rolling store (counters, snapshot).</summary>
    public FeatureStore Store => _store;

    /// <summary>Writes <paramref name="tx"/>'s features into <paramref name="output"/> and updates the store.</summary>
    public FeatureStatus Process(in Transaction tx, Span<float> output)
    {
        if (output.Length < _names.Length)
        {
            ThrowShortOutput(output.Length);
        }

        output[0] = (float)Math.Log(1 + Math.Max(0, tx.AmountMinor / 100.0));
        output[1] = tx.Channel is Channel.Ecommerce or Channel.InApp ? 1f : 0f;
        output[2] = tx.EntryMode is EntryMode.Manual or EntryMode.CardOnFile ? 1f : 0f;
        output[3] = (tx.Flags & TransactionFlags.CardPresent) != 0 ? 1f : 0f;
        output[4] = (tx.Flags & TransactionFlags.ThreeDSecure) != 0 ? 1f : 0f;
        output[5] = LocalHour(tx.EventTimeNs, tx.Longitude) < 6 ? 1f : 0f;
        var aggregates = output.Slice(_eventCount, _transforms.Length);
        FeatureStatus status = _store.Process(tx, aggregates);
        Apply(aggregates);
        return status;
    }

    /// <summary>Writes <paramref name="order"/>'s features into <paramref name="output"/> and updates the store.</summary>
    public FeatureStatus Process(in Order order, Span<float> output)
    {
        if (output.Length < _names.Length)
        {
            ThrowShortOutput(output.Length);
        }

        double quantity = Math.Max(0, order.Quantity);
        output[0] = (float)Math.Log(1 + quantity);
        output[1] = (float)Math.Log(1 + (quantity * Math.Max(0, order.PriceE8) * 1e-8));
        output[2] = order.Side == Side.Sell ? 1f : 0f;
        output[3] = order.Action == OrderAction.New ? 1f : 0f;
        output[4] = order.Action == OrderAction.Cancel ? 1f : 0f;
        output[5] = order.Action == OrderAction.Replace ? 1f : 0f;
        output[6] = order.Action == OrderAction.Fill ? 1f : 0f;
        var aggregates = output.Slice(_eventCount, _transforms.Length);
        FeatureStatus status = _store.Process(order, aggregates);
        Apply(aggregates);
        return status;
    }

    /// <summary>
    /// Swaps in <paramref name="store"/> (a snapshot loaded for the same plan) and frees the old one. Only while no
    /// thread is processing through this featurizer.
    /// </summary>
    public void ReplaceStore(FeatureStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (store.Plan.Layout != _store.Plan.Layout)
        {
            throw new ArgumentException("The store was built from another feature spec.", nameof(store));
        }

        FeatureStore old = _store;
        _store = store;
        old.Dispose();
    }

    /// <inheritdoc/>
    public void Dispose() => _store.Dispose();

    /// <summary>
    /// The transforms eight values at a time: one vectorised log for all, then a per-element choice between the signed
    /// log, the seconds log (with its "never seen" stand-in) and the clip. The same vector code runs for the tail (through
    /// a padded copy), so every element gets bit-identical arithmetic wherever it sits and on every machine.
    /// </summary>
    private void Apply(Span<float> values)
    {
        int n = Math.Min(values.Length, _transforms.Length);
        ref float v0 = ref MemoryMarshal.GetReference(values);
        ref float clip0 = ref MemoryMarshal.GetArrayDataReference(_isClip);
        ref float seconds0 = ref MemoryMarshal.GetArrayDataReference(_isSeconds);
        int i = 0;
        for (; i <= n - 8; i += 8)
        {
            Vector256.StoreUnsafe(
                Transform8(Vector256.LoadUnsafe(ref v0, (nuint)i), Vector256.LoadUnsafe(ref clip0, (nuint)i), Vector256.LoadUnsafe(ref seconds0, (nuint)i)),
                ref v0,
                (nuint)i);
        }

        if (i < n)
        {
            Span<float> tail = stackalloc float[8];
            tail.Clear();
            values[i..n].CopyTo(tail);
            Vector256<float> r = Transform8(Vector256.Create((ReadOnlySpan<float>)tail), Vector256.LoadUnsafe(ref clip0, (nuint)i), Vector256.LoadUnsafe(ref seconds0, (nuint)i));
            r.CopyTo(tail);
            tail[..(n - i)].CopyTo(values[i..n]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Transform8(Vector256<float> v, Vector256<float> isClip, Vector256<float> isSeconds)
    {
        Vector256<float> magnitude = Vector256.Abs(v);
        Vector256<float> log = Vector256.Log(Vector256<float>.One + magnitude);
        Vector256<float> signedLog = Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), -log, log);
        Vector256<float> never = Vector256.Create(NeverSeenLogSeconds);
        Vector256<float> seconds = Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), never, log);
        Vector256<float> clipped = Vector256.Min(Vector256.Max(v, Vector256.Create(-ZScoreClip)), Vector256.Create(ZScoreClip));
        Vector256<float> result = Vector256.ConditionalSelect(Vector256.Equals(isSeconds, Vector256<float>.Zero), signedLog, seconds);
        return Vector256.ConditionalSelect(Vector256.Equals(isClip, Vector256<float>.Zero), result, clipped);
    }

    /// <summary>Local solar hour from UTC and longitude: good enough for "night" without a time-zone table.</summary>
    private static int LocalHour(long eventTimeNs, double longitude)
    {
        long hours = eventTimeNs / 3_600_000_000_000L;
        int offset = double.IsFinite(longitude) ? (int)Math.Round(Math.Clamp(longitude, -180, 180) / 15.0) : 0;
        return (int)((((hours + offset) % 24) + 24) % 24);
    }

    [DoesNotReturn]
    private void ThrowShortOutput(int length) =>
        throw new ArgumentException($"The output holds {length} features; this featurizer writes {_names.Length}.");
}
