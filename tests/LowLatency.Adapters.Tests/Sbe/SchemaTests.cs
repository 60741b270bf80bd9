using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Tests.Sbe;

/// <summary>The codec's constants and the engine's structs against the XML schema, so they can never drift apart.</summary>
public class SchemaTests
{
    private static readonly SchemaModel Schema = SchemaModel.Load();

    internal static readonly Dictionary<string, Type> EngineStructs = new()
    {
        ["Transaction"] = typeof(Transaction), ["Decision"] = typeof(Decision), ["Label"] = typeof(Label),
        ["Order"] = typeof(Order), ["Control"] = typeof(ControlMessage),
    };

    /// <summary>Schema field name → engine struct field name where they differ by more than case.</summary>
    internal static readonly Dictionary<string, string> Renames = new() { ["labelClass"] = "Class", ["labelSource"] = "Source" };

    internal static string Pascal(string name) => char.ToUpperInvariant(name[0]) + name[1..];

    internal static string StructField(string xmlName) => Renames.TryGetValue(xmlName, out var n) ? n : Pascal(xmlName);

    private static Type CodecType(string message) =>
        typeof(WireSchema).Assembly.GetType($"LowLatency.Adapters.Sbe.{message}Codec") ?? throw new InvalidOperationException($"no codec for {message}");

    private static object? Const(Type type, string name) => type.GetField(name, BindingFlags.Public | BindingFlags.Static)?.GetValue(null);

    [Fact]
    public void Schema_identity_and_header_match_the_codec()
    {
        Assert.Equal(WireSchema.SchemaId, Schema.SchemaId);
        Assert.Equal(WireSchema.Version, Schema.Version);
        Assert.Equal("littleEndian", Schema.ByteOrder);
        Assert.Equal(
            [("blockLength", 0, 2), ("templateId", 2, 2), ("schemaId", 4, 2), ("version", 6, 2)],
            Schema.Header.Select(f => (f.Name, f.Offset, f.Size)));
        Assert.Equal(WireSchema.HeaderLength, Schema.Header.Sum(f => f.Size));
        Assert.Equal(MessageHeader.TemplateIdOffset, Schema.Header.Single(f => f.Name == "templateId").Offset);
        Assert.Equal(MessageHeader.VersionOffset, Schema.Header.Single(f => f.Name == "version").Offset);
    }

    [Fact]
    public void Every_message_has_a_codec_whose_template_block_length_and_offsets_match_the_schema()
    {
        Assert.Equal(Enum.GetValues<TemplateId>().Length, Schema.Messages.Count);
        foreach (var m in Schema.Messages)
        {
            var codec = CodecType(m.Name);
            Assert.Equal((TemplateId)m.Id, (TemplateId)Const(codec, "Template")!);
            Assert.Equal(m.BlockLength, (int)Const(codec, "BlockLength")!);
            foreach (var f in m.Fields)
            {
                object? offset = Const(codec, Pascal(f.Name) + "Offset");
                Assert.True(offset is int, $"{m.Name}Codec has no {Pascal(f.Name)}Offset constant");
                Assert.True((int)offset! == f.Offset, $"{m.Name}.{f.Name}: schema offset {f.Offset}, codec {(int)offset!}");
                Assert.True(f.Offset + f.Size <= m.BlockLength, $"{m.Name}.{f.Name} runs past the block");
            }

            var overlaps = m.Fields.SelectMany(a => m.Fields.Where(b => a != b && a.Offset < b.Offset + b.Size && b.Offset < a.Offset + a.Size));
            Assert.Empty(overlaps);
        }
    }

    [Fact]
    public void Engine_structs_are_laid_out_exactly_as_the_wire_blocks_so_decoding_can_copy()
    {
        foreach (var m in Schema.Messages)
        {
            var type = EngineStructs[m.Name];
            Assert.Equal(m.BlockLength, (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!);
            foreach (var f in m.Fields)
            {
                var field = type.GetField(StructField(f.Name));
                Assert.True(field is not null, $"{type.Name} has no field for {m.Name}.{f.Name}");
                Assert.Equal(f.Offset, (int)Marshal.OffsetOf(type, field!.Name));
                var fieldType = field.FieldType.IsEnum ? Enum.GetUnderlyingType(field.FieldType) : field.FieldType;
                Assert.Equal(f.Size, Marshal.SizeOf(fieldType));
            }
        }
    }

    [Fact]
    public void Decision_reasons_group_matches_the_schema()
    {
        var group = Schema.Messages.Single(m => m.Name == "Decision").Groups.Single();
        Assert.Equal("reasons", group.Name);
        Assert.Equal(DecisionCodec.ReasonBlockLength, group.BlockLength);
        Assert.Equal(DecisionCodec.ReasonFeatureIdOffset, group.Fields.Single(f => f.Name == "featureId").Offset);
        Assert.Equal(DecisionCodec.ReasonContributionOffset, group.Fields.Single(f => f.Name == "contribution").Offset);
        Assert.Equal(("uint16", "float"), (group.Fields[0].Primitive, group.Fields[1].Primitive));
    }

    [Fact]
    public void Enum_values_and_set_choices_match_the_engine_enums()
    {
        var engineEnums = typeof(Transaction).Assembly.GetTypes().Where(t => t.IsEnum && t.Namespace == typeof(Transaction).Namespace).ToDictionary(t => t.Name);
        foreach (var (name, values) in Schema.Enums)
        {
            var type = engineEnums[name];
            Assert.Equal(typeof(byte), Enum.GetUnderlyingType(type));
            Assert.Equal(
                values.OrderBy(v => v.Value).Select(v => (v.Key, v.Value)),
                Enum.GetValues(type).Cast<object>().Select(v => (Enum.GetName(type, v)!, Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture))).OrderBy(v => v.Item2));
        }

        foreach (var (name, choices) in Schema.Sets)
        {
            var type = engineEnums[name];
            foreach (var (choice, bit) in choices)
            {
                Assert.Equal(1L << bit, Convert.ToInt64(Enum.Parse(type, choice), System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}
