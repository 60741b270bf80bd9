using LowLatency.Models.Lifecycle;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// The model versions a pipeline may swap to, by version number: the one it started with, those its learner published,
/// and, for a replay, those read from a version store. Written by one thread at a time (set-up, the learner); read by
/// the scoring thread when a swap slot passes, without locks or allocation: the table is an immutable array replaced
/// by one release write, so a reader sees either the old table or the new one, each complete.
/// </summary>
public sealed class ModelRegistry
{
    /// <summary>Highest version number a registry holds (the table is indexed by version).</summary>
    public const uint MaxVersion = 1 << 20;

    private readonly IReadOnlyList<string> _featureNames;
    private ServingModel?[] _byVersion = [];

    /// <summary>A registry of models over <paramref name="featureNames"/> (the feature spec's layout).</summary>
    public ModelRegistry(IReadOnlyList<string> featureNames)
    {
        ArgumentNullException.ThrowIfNull(featureNames);
        _featureNames = featureNames;
    }

    /// <summary>Registered versions, in increasing order.</summary>
    public IEnumerable<uint> Versions
    {
        get
        {
            var table = Volatile.Read(ref _byVersion);
            for (uint v = 0; v < table.Length; v++)
            {
                if (table[v] is not null)
                {
                    yield return v;
                }
            }
        }
    }

    /// <summary>The model registered as <paramref name="version"/>, or null (acquire read of the table).</summary>
    public ServingModel? Find(uint version)
    {
        var table = Volatile.Read(ref _byVersion);
        return version < (uint)table.Length ? table[version] : null;
    }

    /// <summary>
    /// Registers every version in <paramref name="directory"/> (a learner's <see cref="VersionStore"/>, checksums
    /// verified), so a replay of a journal with swaps scores with the versions it names. A version already registered
    /// with another model is left alone and counted in the result (its journaled swaps will be refused). Returns
    /// (loaded, conflicting).
    /// </summary>
    public (int Loaded, int Conflicting) AddFrom(string directory)
    {
        var store = new VersionStore(directory);
        int loaded = 0, conflicting = 0;
        foreach (uint v in store.Versions())
        {
            var model = new ServingModel(store.Read(v).Version.Model, v, Path.GetFileName(store.PathOf(v)));
            if (Find(v) is { } present)
            {
                conflicting += present.Fingerprint == model.Fingerprint ? 0 : 1;
                continue;
            }

            Add(model);
            loaded++;
        }

        return (loaded, conflicting);
    }

    /// <summary>
    /// Registers <paramref name="model"/> under its version (replacing an equal one is a no-op; another model with that
    /// version is refused). Throws when its layout does not fit the feature spec. One writer at a time.
    /// </summary>
    public void Add(ServingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            model.Champion.Layout.Verify(_featureNames);
        }
        catch (Models.ModelFormatException ex)
        {
            throw new ArgumentException($"Model v{model.Version} does not fit the feature spec: {ex.Message}", nameof(model), ex);
        }

        if (model.Version > MaxVersion)
        {
            throw new ArgumentException($"Version {model.Version} is beyond the registry's {MaxVersion}.", nameof(model));
        }

        var table = _byVersion;
        if (model.Version < (uint)table.Length && table[model.Version] is { } present)
        {
            if (present.Fingerprint != model.Fingerprint)
            {
                throw new ArgumentException($"Version {model.Version} is already registered with another model (fingerprint {present.Fingerprint:x16}, not {model.Fingerprint:x16}).", nameof(model));
            }

            return;
        }

        var next = new ServingModel?[Math.Max(table.Length, (int)model.Version + 1)];
        table.CopyTo(next, 0);
        next[model.Version] = model;
        // Release: the model and the copied entries are complete before a scorer can read the new table.
        Volatile.Write(ref _byVersion, next);
    }
}
