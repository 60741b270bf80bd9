using System.Globalization;
using System.Xml.Linq;
using LowLatency.Adapters.Sbe;

namespace LowLatency.Adapters.Tests.Sbe;

/// <summary>The XML schema as the SBE tool reads it: types, messages, field offsets and sizes. Independent of the codec.</summary>
internal sealed class SchemaModel
{
    public sealed record Field(string Name, string Type, string Primitive, int Offset, int Size);

    public sealed record Group(string Name, int BlockLength, IReadOnlyList<Field> Fields);

    public sealed record Message(string Name, int Id, int BlockLength, IReadOnlyList<Field> Fields, IReadOnlyList<Group> Groups);

    public required int SchemaId { get; init; }
    public required int Version { get; init; }
    public required string ByteOrder { get; init; }
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> Enums { get; init; }
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Sets { get; init; }
    public required IReadOnlyList<Field> Header { get; init; }
    public required IReadOnlyList<Message> Messages { get; init; }

    public static int SizeOf(string primitive) => primitive switch
    {
        "char" or "int8" or "uint8" => 1,
        "int16" or "uint16" => 2,
        "int32" or "uint32" or "float" => 4,
        "int64" or "uint64" or "double" => 8,
        _ => throw new InvalidOperationException($"unknown primitive {primitive}"),
    };

    public static SchemaModel Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, WireSchema.FileName);
        var doc = XDocument.Load(path);
        var root = doc.Root!;
        var types = root.Element("types")!;
        var primitives = new Dictionary<string, string>
        {
            ["uint8"] = "uint8", ["uint16"] = "uint16", ["uint32"] = "uint32", ["uint64"] = "uint64",
            ["int8"] = "int8", ["int16"] = "int16", ["int32"] = "int32", ["int64"] = "int64", ["float"] = "float", ["double"] = "double",
        };
        var enums = new Dictionary<string, IReadOnlyDictionary<string, long>>();
        foreach (var e in types.Elements("enum"))
        {
            primitives[(string)e.Attribute("name")!] = (string)e.Attribute("encodingType")!;
            enums[(string)e.Attribute("name")!] = e.Elements("validValue").ToDictionary(v => (string)v.Attribute("name")!, v => long.Parse(v.Value, CultureInfo.InvariantCulture));
        }

        var sets = new Dictionary<string, IReadOnlyDictionary<string, int>>();
        foreach (var s in types.Elements("set"))
        {
            primitives[(string)s.Attribute("name")!] = (string)s.Attribute("encodingType")!;
            sets[(string)s.Attribute("name")!] = s.Elements("choice").ToDictionary(v => (string)v.Attribute("name")!, v => int.Parse(v.Value, CultureInfo.InvariantCulture));
        }

        List<Field> Fields(IEnumerable<XElement> elements)
        {
            var list = new List<Field>();
            int next = 0;
            foreach (var f in elements)
            {
                string type = (string)f.Attribute("type")! ?? (string)f.Attribute("primitiveType")!;
                string prim = primitives[type];
                int size = SizeOf(prim);
                int offset = f.Attribute("offset") is { } o ? int.Parse(o.Value, CultureInfo.InvariantCulture) : next;
                list.Add(new Field((string)f.Attribute("name")!, type, prim, offset, size));
                next = offset + size;
            }

            return list;
        }

        var header = types.Elements("composite").Single(c => (string)c.Attribute("name")! == "messageHeader");
        XNamespace sbe = "http://fixprotocol.io/2016/sbe";
        var messages = root.Elements(sbe + "message").Select(m => new Message(
            (string)m.Attribute("name")!,
            (int)m.Attribute("id")!,
            (int)m.Attribute("blockLength")!,
            Fields(m.Elements("field")),
            [.. m.Elements("group").Select(g => new Group((string)g.Attribute("name")!, (int)g.Attribute("blockLength")!, Fields(g.Elements("field"))))])).ToList();

        return new SchemaModel
        {
            SchemaId = (int)root.Attribute("id")!,
            Version = (int)root.Attribute("version")!,
            ByteOrder = (string)root.Attribute("byteOrder")!,
            Enums = enums,
            Sets = sets,
            Header = Fields(header.Elements("type")),
            Messages = messages,
        };
    }
}
