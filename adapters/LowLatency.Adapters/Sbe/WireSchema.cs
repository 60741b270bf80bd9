namespace LowLatency.Adapters.Sbe;

/// <summary>Identity of the wire schema (lowlatency-schema.xml) and the sizes every message shares.</summary>
public static class WireSchema
{
    /// <summary>The schema id in every message header.</summary>
    public const ushort SchemaId = 1701;

    /// <summary>The schema version this code was written for.</summary>
    public const ushort Version = 1;

    /// <summary>SBE message header: blockLength, templateId, schemaId, version (u16 each).</summary>
    public const int HeaderLength = 8;

    /// <summary>SBE repeating-group header: blockLength, numInGroup (u16 each).</summary>
    public const int GroupHeaderLength = 4;

    /// <summary>Name of the schema file shipped beside the assembly.</summary>
    public const string FileName = "lowlatency-schema.xml";
}

/// <summary>Template ids (the <c>id</c> of each <c>sbe:message</c>).</summary>
public enum TemplateId : ushort
{
    /// <summary>Transaction.</summary>
    Transaction = 1,
    /// <summary>Decision.</summary>
    Decision = 2,
    /// <summary>Label.</summary>
    Label = 3,
    /// <summary>Order.</summary>
    Order = 4,
    /// <summary>Control.</summary>
    Control = 5,
}
