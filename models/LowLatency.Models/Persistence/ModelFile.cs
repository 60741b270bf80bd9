using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Persistence;

/// <summary>
/// Our binary model snapshot (little-endian throughout). Layout, version 1:
/// <code>
///  0  magic        8 bytes "LLMODEL\0"
///  8  version      u16 (1)
/// 10  kind         u16 bit 0 = logistic part present, bit 1 = tree part present, bit 2 = reference present,
///                  bit 3 = online tree present
/// 12  payload_len  u32
/// 16  payload      layout | blend | [logistic] | [trees] | [reference] | [online]
///  .. checksum     u32 CRC-32 (IEEE) of every byte before it
/// layout   : u32 n, n × (u16 byte length, UTF-8 name), i32 hash_bits
/// blend    : u8 mode, f32 intercept, f32 logistic_weight, f32 tree_weight
/// logistic : f32 bias, u32 n, n × f32 dense weight, u32 m, m × f32 hashed weight
/// trees    : u8 output, u8 aggregation, f32 base_margin, u32 feature_count, u32 tree_count, then per tree
///            u32 node_count and per node i32 left, i32 right, i32 feature, f32 threshold, u8 flags
///            (1 default-left, 2 zero-is-missing, 4 categorical), f32 leaf value, f32 cover,
///            and for categorical nodes u32 words, words × u32 category bit set.
/// reference: u32 n (= layout n), n × f32 (the point logistic reason codes are measured from).
/// online   : f32 online_tree_weight, then the online tree as a trees section (one tree, logistic output).
/// </code>
/// A model without an online tree is written exactly as before bit 3 existed.
/// Loading checks magic, version, length and checksum before parsing anything, then every count against
/// the bytes left, and builds the model only when everything is read; any failure throws
/// <see cref="ModelFormatException"/> naming the field. Writing the same model twice gives the same bytes.
/// </summary>
public static class ModelFile
{
    /// <summary>Current format version.</summary>
    public const ushort Version = 1;

    private const int HeaderSize = 16;
    private const byte NodeDefaultLeft = 1;
    private const byte NodeZeroMissing = 2;
    private const byte NodeCategorical = 4;

    /// <summary>The 8 bytes every model file starts with.</summary>
    public static ReadOnlySpan<byte> Magic => "LLMODEL\0"u8;

    /// <summary>Serializes a champion (or a lone logistic / tree model wrapped as one).</summary>
    public static byte[] ToBytes(ChampionModel model)
    {
        using var file = new MemoryStream();
        Append(model, file);
        return file.ToArray();
    }

    /// <summary>
    /// Appends the model file of <paramref name="model"/> (exactly the bytes <see cref="ToBytes"/> returns) to
    /// <paramref name="destination"/> at its end: the header and checksum are written into the stream's own buffer, so a
    /// stream kept for reuse makes no copy of the file. Returns the number of bytes appended.
    /// </summary>
    public static int Append(ChampionModel model, MemoryStream destination)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(destination);
        int start = checked((int)destination.Length);
        destination.Position = start;
        destination.Write(stackalloc byte[HeaderSize]); // filled in below
        using (var w = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true))
        {
            WriteLayout(w, model.Layout);
            w.Write((byte)model.Blend.Mode);
            w.Write(model.Blend.Intercept);
            w.Write(model.Blend.LogisticWeight);
            w.Write(model.Blend.TreeWeight);
            if (model.Logistic is { } l)
            {
                WriteLogistic(w, l);
            }

            if (model.Trees is { } t)
            {
                WriteTrees(w, t);
            }

            if (!model.Reference.IsEmpty)
            {
                w.Write((uint)model.Reference.Length);
                foreach (float v in model.Reference)
                {
                    w.Write(v);
                }
            }

            if (model.OnlineTree is { } h)
            {
                w.Write(model.Blend.OnlineTreeWeight);
                WriteTrees(w, h);
            }
        }

        int len = checked((int)destination.Length - start - HeaderSize);
        var bytes = destination.GetBuffer().AsSpan(start, HeaderSize + len);
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[8..], Version);
        ushort kind = (ushort)((model.Logistic is null ? 0 : 1) | (model.Trees is null ? 0 : 2) | (model.Reference.IsEmpty ? 0 : 4) | (model.OnlineTree is null ? 0 : 8));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[10..], kind);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[12..], (uint)len);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32.HashToUInt32(bytes));
        destination.Write(crc);
        return HeaderSize + len + crc.Length;
    }

    /// <summary>Writes the model to a file (replacing it).</summary>
    public static void Save(ChampionModel model, string path) => File.WriteAllBytes(path, ToBytes(model));

    /// <summary>Loads a model file; when <paramref name="expectedFeatures"/> is given the layout must match it exactly.</summary>
    public static ChampionModel Load(string path, IReadOnlyList<string>? expectedFeatures = null) =>
        Read(File.ReadAllBytes(path), expectedFeatures);

    /// <summary>True when the bytes start with the model-file magic.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> bytes) => bytes.Length >= Magic.Length && bytes[..Magic.Length].SequenceEqual(Magic);

    /// <summary>Parses a model; when <paramref name="expectedFeatures"/> is given the layout must match it exactly.</summary>
    public static ChampionModel Read(ReadOnlySpan<byte> bytes, IReadOnlyList<string>? expectedFeatures = null)
    {
        if (bytes.Length < HeaderSize)
        {
            throw new ModelFormatException($"header: truncated ({bytes.Length} bytes; the header alone is {HeaderSize}).");
        }

        if (!HasMagic(bytes))
        {
            throw new ModelFormatException($"magic: expected \"LLMODEL\\0\", found {Convert.ToHexString(bytes[..8])}; not a LowLatency model file.");
        }

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
        if (version != Version)
        {
            throw new ModelFormatException($"version: {version} is not supported (this build reads version {Version}).");
        }

        ushort kind = BinaryPrimitives.ReadUInt16LittleEndian(bytes[10..]);
        if ((kind & 3) == 0 || kind > 15)
        {
            throw new ModelFormatException($"kind: {kind} is not a combination of logistic (1) and trees (2), with or without a reference (4) and an online tree (8).");
        }

        uint len = BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        if (len > (uint)(bytes.Length - HeaderSize - 4) || bytes.Length < HeaderSize + 4)
        {
            throw new ModelFormatException($"payload_len: {len} bytes declared but the file is truncated ({bytes.Length} bytes in all).");
        }

        if (bytes.Length != HeaderSize + (int)len + 4)
        {
            throw new ModelFormatException($"payload_len: {len} bytes declared but {bytes.Length - HeaderSize - 4} follow the header (trailing bytes).");
        }

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(HeaderSize + (int)len)..]);
        uint actual = Crc32.HashToUInt32(bytes[..(HeaderSize + (int)len)]);
        if (stored != actual)
        {
            throw new ModelFormatException($"checksum: stored CRC-32 {stored:x8} but the content hashes to {actual:x8}; the file is corrupt.");
        }

        var r = new SpanReader(bytes.Slice(HeaderSize, (int)len));
        var layout = ReadLayout(ref r);
        if (expectedFeatures is not null)
        {
            layout.Verify(expectedFeatures);
        }

        var mode = (ChampionCombination)r.U8("blend.mode");
        float intercept = r.F32("blend.intercept");
        float logisticWeight = r.F32("blend.logistic_weight");
        float treeWeight = r.F32("blend.tree_weight");
        var blend = new ChampionBlend(mode, logisticWeight, treeWeight, intercept);
        blend.Validate();
        LogisticModel? logistic = (kind & 1) != 0 ? ReadLogistic(ref r) : null;
        TreeEnsemble? trees = (kind & 2) != 0 ? ReadTrees(ref r, layout) : null;
        float[]? reference = null;
        if ((kind & 4) != 0)
        {
            int count = r.Count("reference.count", 4);
            if (count != layout.DenseCount)
            {
                throw new ModelFormatException($"reference.count = {count} but layout.feature_names has {layout.DenseCount} features.");
            }

            reference = r.Floats(count, "reference.values");
        }

        TreeEnsemble? onlineTree = null;
        if ((kind & 8) != 0)
        {
            blend = blend with { OnlineTreeWeight = r.F32("online.online_tree_weight") };
            blend.Validate();
            onlineTree = ReadTrees(ref r, layout);
        }

        if (r.Remaining != 0)
        {
            throw new ModelFormatException($"payload: {r.Remaining} unexpected bytes after the last section.");
        }

        return new ChampionModel(layout, logistic, trees, blend, reference, onlineTree);
    }

    private static void WriteLayout(BinaryWriter w, ModelLayout layout)
    {
        w.Write((uint)layout.DenseCount);
        foreach (string name in layout.FeatureNames)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(name);
            w.Write(checked((ushort)utf8.Length));
            w.Write(utf8);
        }

        w.Write(layout.HashBits);
    }

    private static ModelLayout ReadLayout(ref SpanReader r)
    {
        int n = r.Count("layout.feature_count", 2);
        var names = new string[n];
        for (int i = 0; i < n; i++)
        {
            int bytes = r.U16("layout.feature_names");
            names[i] = r.Utf8(bytes, $"layout.feature_names[{i}]");
        }

        return new ModelLayout(names, r.I32("layout.hash_bits"));
    }

    private static void WriteLogistic(BinaryWriter w, LogisticModel m)
    {
        w.Write(m.Bias);
        w.Write((uint)m.DenseCount);
        foreach (float v in m.DenseWeights)
        {
            w.Write(v);
        }

        w.Write((uint)m.HashedWeights.Length);
        foreach (float v in m.HashedWeights)
        {
            w.Write(v);
        }
    }

    private static LogisticModel ReadLogistic(ref SpanReader r)
    {
        float bias = r.F32("logistic.bias");
        var dense = r.Floats(r.Count("logistic.dense_count", 4), "logistic.dense_weights");
        var table = r.Floats(r.Count("logistic.hashed_count", 4), "logistic.hashed_weights");
        try
        {
            return new LogisticModel(dense, table, bias);
        }
        catch (ArgumentException ex)
        {
            throw new ModelFormatException($"logistic: {ex.Message}", ex);
        }
    }

    private static void WriteTrees(BinaryWriter w, TreeEnsemble e)
    {
        w.Write((byte)e.Output);
        w.Write((byte)e.Aggregation);
        w.Write(e.BaseMargin);
        w.Write((uint)e.FeatureCount);
        var specs = e.ToSpecs();
        w.Write((uint)specs.Count);
        foreach (var t in specs)
        {
            w.Write((uint)t.NodeCount);
            for (int i = 0; i < t.NodeCount; i++)
            {
                w.Write(t.Left[i]);
                w.Write(t.Right[i]);
                w.Write(t.Feature[i]);
                w.Write(t.Threshold[i]);
                var set = t.CategorySets?[i];
                byte flags = (byte)((t.DefaultLeft[i] ? NodeDefaultLeft : 0) | (t.ZeroIsMissing?[i] == true ? NodeZeroMissing : 0) | (set is null ? 0 : NodeCategorical));
                w.Write(flags);
                w.Write(t.LeafValue[i]);
                w.Write(t.Cover![i]);
                if (set is not null)
                {
                    w.Write((uint)set.Length);
                    foreach (uint word in set)
                    {
                        w.Write(word);
                    }
                }
            }
        }
    }

    private static TreeEnsemble ReadTrees(ref SpanReader r, ModelLayout layout)
    {
        byte output = r.U8("trees.output");
        if (output > (byte)TreeOutput.LogisticFloat32)
        {
            throw new ModelFormatException($"trees.output = {output} is not a known output transform.");
        }

        byte aggregation = r.U8("trees.aggregation");
        if (aggregation > (byte)TreeAggregation.Average)
        {
            throw new ModelFormatException($"trees.aggregation = {aggregation} is not a known aggregation.");
        }

        float baseMargin = r.F32("trees.base_margin");
        int featureCount = r.I32("trees.feature_count");
        if (featureCount < 1 || featureCount > layout.DenseCount)
        {
            throw new ModelFormatException($"trees.feature_count = {featureCount} is out of range [1, {layout.DenseCount}] (layout.feature_names).");
        }

        // A node takes at least 25 bytes: a count beyond what is left cannot be honest.
        int treeCount = r.Count("trees.tree_count", 4 + 25);
        var specs = new TreeSpec[treeCount];
        for (int t = 0; t < treeCount; t++)
        {
            string at = $"trees[{t}]";
            int n = r.Count(at + ".node_count", 25);
            var left = new int[n];
            var right = new int[n];
            var feature = new int[n];
            var threshold = new float[n];
            var dl = new bool[n];
            var leaf = new float[n];
            var cover = new float[n];
            var zero = new bool[n];
            var sets = new uint[]?[n];
            bool anyZero = false, anyCat = false;
            for (int i = 0; i < n; i++)
            {
                left[i] = r.I32(at + ".left");
                right[i] = r.I32(at + ".right");
                feature[i] = r.I32(at + ".feature");
                threshold[i] = r.F32(at + ".threshold");
                byte flags = r.U8(at + ".flags");
                if ((flags & ~(NodeDefaultLeft | NodeZeroMissing | NodeCategorical)) != 0)
                {
                    throw new ModelFormatException($"{at}.flags[{i}] = {flags} has unknown bits.");
                }

                leaf[i] = r.F32(at + ".leaf_value");
                cover[i] = r.F32(at + ".cover");
                dl[i] = (flags & NodeDefaultLeft) != 0;
                zero[i] = (flags & NodeZeroMissing) != 0;
                anyZero |= zero[i];
                if ((flags & NodeCategorical) != 0)
                {
                    int words = r.Count(at + ".category_words", 4);
                    var set = new uint[words];
                    for (int k = 0; k < words; k++)
                    {
                        set[k] = r.U32(at + ".category_set");
                    }

                    sets[i] = set;
                    anyCat = true;
                }
            }

            specs[t] = new TreeSpec(left, right, feature, threshold, dl, leaf)
            {
                Cover = cover,
                ZeroIsMissing = anyZero ? zero : null,
                CategorySets = anyCat ? sets : null,
            };
        }

        // Create re-validates the shape (children, cycles, feature ranges) with field names.
        return TreeEnsemble.Create(specs, featureCount, baseMargin, (TreeOutput)output, (TreeAggregation)aggregation);
    }
}
