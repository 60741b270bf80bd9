using System.Buffers.Binary;
using FsCheck;
using FsCheck.Xunit;
using LowLatency.Models.Champion;
using LowLatency.Models.Import;
using LowLatency.Models.Linear;
using LowLatency.Models.Persistence;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Tests;

public sealed class ModelFileTests
{
    internal static readonly string[] Names = [.. Enumerable.Range(0, 10).Select(i => "feat_" + i)];

    internal static ChampionModel Sample(int seed, bool logistic = true, bool trees = true, ChampionBlend? blend = null, bool reference = false)
    {
        var rng = new Random(seed);
        LogisticModel? lr = logistic
            ? new LogisticModel([.. Enumerable.Range(0, 10).Select(_ => (float)(rng.NextDouble() - 0.5))], [.. Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() - 0.5))], 0.3f)
            : null;
        TreeEnsemble? te = null;
        if (trees)
        {
            var specs = Enumerable.Range(0, 12).Select(_ => RandomTrees.Tree(rng, 5, 10)).ToList();
            // One tree with LightGBM-style split kinds, so the format's flags and category sets round-trip.
            specs.Add(new TreeSpec([1, -1, 3, -1, -1], [2, -1, 4, -1, -1], [2, 0, 7, 0, 0], [0.5f, 0, 0, 0, 0], [true, false, false, false, false], [0, 0.5f, 0, -0.25f, 0.75f])
            {
                ZeroIsMissing = [true, false, false, false, false],
                CategorySets = [null, null, [0b1010u, 1u], null, null],
                Cover = [10, 4, 6, 2, 4],
            });
            te = TreeEnsemble.Create(specs, 10, -0.2f, TreeOutput.Logistic);
        }

        float[]? point = reference ? [.. Enumerable.Range(0, 10).Select(i => i * 0.25f)] : null;
        return new ChampionModel(new ModelLayout(Names, lr is null ? 0 : 6), lr, te, blend ?? new ChampionBlend(ChampionCombination.WeightedMargin, 0.7f, 1.3f, 0.05f), point);
    }

    private static byte[] Reseal(byte[] bytes, int payloadLength)
    {
        var r = new byte[16 + payloadLength + 4];
        bytes.AsSpan(0, Math.Min(bytes.Length - 4, 16 + payloadLength)).CopyTo(r);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(12), (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(16 + payloadLength), ReferenceCrc32(r.AsSpan(0, 16 + payloadLength)));
        return r;
    }

    /// <summary>Bitwise CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), written from the definition.</summary>
    private static uint ReferenceCrc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    [Theory]
    [InlineData(true, true, false)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, true, true)]
    public void A_saved_model_loads_back_scoring_and_explaining_bit_for_bit(bool logistic, bool trees, bool reference)
    {
        var model = Sample(1, logistic, trees, reference: reference);
        var bytes = ModelFile.ToBytes(model);
        var back = ModelFile.Read(bytes, Names);
        Assert.Equal(bytes, ModelFile.ToBytes(back));
        Assert.Equal(model.Reference.ToArray(), back.Reference.ToArray());
        Assert.Equal(reference ? 4 : 0, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(10)) & 4);
        AssertScoreAndExplainAlike(model, back, [11, 22, 33], seed: 2, rows: 300);
    }

    /// <summary>
    /// Margins bit for bit, and the same explanations (score, every slot's contribution, the reasons), on random rows
    /// with missing values and, every seventh row, an exact zero.
    /// </summary>
    private static void AssertScoreAndExplainAlike(ChampionModel model, ChampionModel back, ulong[] keys, int seed, int rows)
    {
        var rng = new Random(seed);
        var c1 = new float[model.ExplainSlots(keys.Length)];
        var c2 = new float[model.ExplainSlots(keys.Length)];
        var r1 = new Contribution[4];
        var r2 = new Contribution[4];
        for (int i = 0; i < rows; i++)
        {
            var x = RandomTrees.Row(rng, 10, 0.15);
            if (i % 7 == 0)
            {
                x[2] = 0f;
            }

            Assert.Equal(BitConverter.SingleToInt32Bits(model.Margin(x, keys)), BitConverter.SingleToInt32Bits(back.Margin(x, keys)));
            Assert.Equal(model.Explain(x, keys, c1, r1), back.Explain(x, keys, c2, r2));
            Assert.Equal(c1, c2);
            Assert.Equal(r1, r2);
        }
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void A_model_with_an_online_tree_loads_back_scoring_and_explaining_bit_for_bit(bool logistic, bool trees)
    {
        var plain = Sample(4, logistic, trees, reference: logistic);
        var model = ChampionModelTests.WithOnlineTree(plain, 5, 0.35f);
        var bytes = ModelFile.ToBytes(model);
        Assert.Equal(8, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(10)) & 8);
        // Without the online part the bytes are what they were before it existed: the same model, the same file.
        Assert.Equal(ModelFile.ToBytes(plain), ModelFile.ToBytes(model.WithParts(model.Logistic, model.Trees, null, plain.Blend)));
        var back = ModelFile.Read(bytes, Names);
        Assert.Equal(bytes, ModelFile.ToBytes(back));
        Assert.Equal(0.35f, back.Blend.OnlineTreeWeight);
        AssertScoreAndExplainAlike(model, back, [7, 8], seed: 6, rows: 200);

        // A file whose online tree is not a log-odds model is refused, naming the part. The online section starts where the
        // plain model's payload ended: its weight, then the trees section's output byte.
        int plainLength = ModelFile.ToBytes(plain).Length;
        var tampered = (byte[])bytes.Clone();
        Assert.Equal((byte)TreeOutput.Logistic, tampered[plainLength]);
        tampered[plainLength] = (byte)TreeOutput.RawMargin;
        tampered = Reseal(tampered, bytes.Length - 20);
        Assert.Contains("online_tree", Assert.Throws<ModelFormatException>(() => ModelFile.Read(tampered)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_header_is_the_documented_bytes_and_the_checksum_is_standard_crc32()
    {
        var bytes = ModelFile.ToBytes(Sample(3));
        Assert.Equal("LLMODEL\0"u8.ToArray(), bytes[..8]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(3, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(10)));
        Assert.Equal(bytes.Length - 20, (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)));
        Assert.Equal(ReferenceCrc32(bytes.AsSpan(0, bytes.Length - 4)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)));
    }

    [Fact]
    public void An_imported_xgboost_model_survives_the_round_trip_and_still_matches_xgboost()
    {
        TreeEnsemble trees;
        using (var s = Fixtures.OpenGz("logistic_100x6.json.gz"))
        {
            trees = XGBoostJson.Load(s);
        }

        var back = ModelFile.Read(ModelFile.ToBytes(ChampionModel.FromTrees(trees)));
        Assert.Equal(ModelLayout.Positional(12).FeatureNames, back.Layout.FeatureNames);
        var expected = Fixtures.Csv("logistic_100x6.pred.csv.gz");
        var rows = Fixtures.Features;
        for (int r = 0; r < rows.Count; r++)
        {
            var score = back.Score(rows[r], default);
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[r][0]), BitConverter.SingleToInt32Bits(score.Margin));
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[r][1]), BitConverter.SingleToInt32Bits(score.Probability));
        }
    }

    [Fact]
    public void Wrong_magic_version_checksum_and_trailing_bytes_are_rejected_naming_the_field()
    {
        var good = ModelFile.ToBytes(Sample(4));
        var bad = (byte[])good.Clone();
        bad[0] = (byte)'X';
        Assert.StartsWith("magic", Assert.Throws<ModelFormatException>(() => ModelFile.Read(bad)).Message);

        bad = (byte[])good.Clone();
        bad[8] = 2;
        Assert.StartsWith("version: 2", Assert.Throws<ModelFormatException>(() => ModelFile.Read(bad)).Message);

        bad = (byte[])good.Clone();
        bad[40] ^= 0x10;
        Assert.StartsWith("checksum", Assert.Throws<ModelFormatException>(() => ModelFile.Read(bad)).Message);

        bad = [.. good, 0];
        Assert.StartsWith("payload_len", Assert.Throws<ModelFormatException>(() => ModelFile.Read(bad)).Message);

        bad = (byte[])good.Clone();
        bad[10] = 4;
        Assert.StartsWith("kind", Assert.Throws<ModelFormatException>(() => ModelFile.Read(bad)).Message);
    }

    [Fact]
    public void Every_truncation_is_rejected_with_a_model_format_error()
    {
        var good = ModelFile.ToBytes(Sample(5));
        for (int n = 0; n < good.Length; n++)
        {
            var ex = Assert.Throws<ModelFormatException>(() => ModelFile.Read(good.AsSpan(0, n)));
            Assert.Matches("^(header|magic|payload_len)", ex.Message);
        }
    }

    [Fact]
    public void A_payload_cut_short_but_resealed_names_the_field_where_it_ends()
    {
        var good = ModelFile.ToBytes(Sample(6));
        int payload = good.Length - 20;
        for (int n = 0; n < payload; n++)
        {
            var ex = Assert.Throws<ModelFormatException>(() => ModelFile.Read(Reseal(good, n)));
            Assert.Matches(@"^(layout|blend|logistic|trees)", ex.Message);
        }

        Assert.Contains("layout.feature_count", Assert.Throws<ModelFormatException>(() => ModelFile.Read(Reseal(good, 3))).Message);
    }

    [Property(MaxTest = 300)]
    public bool Random_corruption_with_a_valid_checksum_never_escapes_as_another_exception(PositiveInt position, byte value)
    {
        var good = ModelFile.ToBytes(Sample(7));
        var bad = (byte[])good.Clone();
        int at = 16 + (position.Get % (good.Length - 20));
        bad[at] = value;
        try
        {
            _ = ModelFile.Read(Reseal(bad, good.Length - 20));
            return true;
        }
        catch (ModelFormatException)
        {
            return true;
        }
    }

    [Fact]
    public void The_layout_is_checked_against_the_feature_spec_names()
    {
        var bytes = ModelFile.ToBytes(Sample(8));
        var swapped = (string[])Names.Clone();
        (swapped[1], swapped[2]) = (swapped[2], swapped[1]);
        var ex = Assert.Throws<ModelFormatException>(() => ModelFile.Read(bytes, swapped));
        Assert.Contains("layout.feature_names[1] = 'feat_1' but the feature spec has 'feat_2'", ex.Message);
        ex = Assert.Throws<ModelFormatException>(() => ModelFile.Read(bytes, [.. Names, "extra"]));
        Assert.Contains("has 10 features but the feature spec has 11", ex.Message);
        Assert.NotNull(ModelFile.Read(bytes, Names));
    }

    [Fact]
    public void Saving_to_disk_and_loading_gives_the_same_model()
    {
        string path = Path.Combine(Path.GetTempPath(), $"llmodel-{Guid.NewGuid():N}.bin");
        try
        {
            var model = Sample(9);
            ModelFile.Save(model, path);
            Assert.Equal(ModelFile.ToBytes(model), ModelFile.ToBytes(ModelFile.Load(path, Names)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
