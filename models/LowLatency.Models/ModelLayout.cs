namespace LowLatency.Models;

/// <summary>
/// The input a model expects: the ordered names of its dense features (the feature spec's output names)
/// and the size of its hashed-key table. Stored in every model file and checked at load against the
/// running feature spec, so a model trained on another feature order can never be scored silently.
/// </summary>
public sealed class ModelLayout
{
    private readonly string[] _names;

    /// <summary>Creates a layout; names must be non-empty and distinct.</summary>
    /// <param name="featureNames">Dense feature names in vector order.</param>
    /// <param name="hashBits">log2 of the hashed-key table size, 0 when the model reads no hashed keys.</param>
    public ModelLayout(IReadOnlyList<string> featureNames, int hashBits)
    {
        ArgumentNullException.ThrowIfNull(featureNames);
        if (hashBits is < 0 or > 30)
        {
            throw new ModelFormatException($"layout.hash_bits = {hashBits} is out of range [0, 30].");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        _names = new string[featureNames.Count];
        for (int i = 0; i < _names.Length; i++)
        {
            string n = featureNames[i];
            if (string.IsNullOrEmpty(n))
            {
                throw new ModelFormatException($"layout.feature_names[{i}] is empty.");
            }

            if (!seen.Add(n))
            {
                throw new ModelFormatException($"layout.feature_names[{i}] = '{n}' is a duplicate.");
            }

            _names[i] = n;
        }

        HashBits = hashBits;
    }

    /// <summary>Dense feature names in vector order.</summary>
    public IReadOnlyList<string> FeatureNames => _names;

    /// <summary>Number of dense features.</summary>
    public int DenseCount => _names.Length;

    /// <summary>log2 of the hashed table size (0 = no hashed keys).</summary>
    public int HashBits { get; }

    /// <summary>Default names f0 … f(n-1), as XGBoost names unnamed columns.</summary>
    public static ModelLayout Positional(int count, int hashBits = 0) =>
        new([.. Enumerable.Range(0, count).Select(i => "f" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))], hashBits);

    /// <summary>
    /// Throws <see cref="ModelFormatException"/> unless <paramref name="expected"/> (the feature spec's
    /// output names) lists exactly these names in this order; the message names the first difference.
    /// </summary>
    public void Verify(IReadOnlyList<string> expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        int n = Math.Min(expected.Count, _names.Length);
        for (int i = 0; i < n; i++)
        {
            if (!string.Equals(expected[i], _names[i], StringComparison.Ordinal))
            {
                throw new ModelFormatException($"layout.feature_names[{i}] = '{_names[i]}' but the feature spec has '{expected[i]}' there.");
            }
        }

        if (expected.Count != _names.Length)
        {
            throw new ModelFormatException($"layout.feature_names has {_names.Length} features but the feature spec has {expected.Count}.");
        }
    }
}
