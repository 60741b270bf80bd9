using System.Globalization;
using System.Text.Json;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Adapters.Transport;
using LowLatency.Engine.Features;
using LowLatency.Engine.Journal;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Host;

/// <summary>A configuration problem, naming the field (a dotted path such as <c>inbound.streamId</c>).</summary>
internal sealed class ServeConfigException : Exception
{
    /// <summary>Creates the exception; the message starts with the field.</summary>
    public ServeConfigException(string field, string message) : base($"{field}: {message}") => Field = field;

    /// <summary>Creates an exception without a field (for serializers).</summary>
    public ServeConfigException() : base("invalid configuration") => Field = "$";

    /// <summary>Creates an exception with a message only.</summary>
    public ServeConfigException(string message) : base(message) => Field = "$";

    /// <summary>Creates an exception with an inner cause.</summary>
    public ServeConfigException(string message, Exception inner) : base(message, inner) => Field = "$";

    /// <summary>The field at fault.</summary>
    public string Field { get; }
}

/// <summary>
/// Reads the <c>lowlat serve</c> JSON configuration (comments and trailing commas allowed) into a validated
/// <see cref="ServeConfig"/>. Unknown fields are errors, so a typo never silently falls back to a default; every error
/// names its field. Relative paths are resolved against the configuration file's directory.
/// </summary>
internal static class ServeConfigReader
{
    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    public static ServeConfig Load(string path)
    {
        string full = Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ServeConfigException("--config", $"cannot read {full}: {ex.Message}");
        }

        return Parse(text, full);
    }

    /// <summary>Parses configuration text as if read from <paramref name="source"/> (relative paths resolve against its directory).</summary>
    public static ServeConfig Parse(string json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new ServeConfigException("$", $"not valid JSON (line {ex.LineNumber + 1}): {ex.Message}");
        }

        using (doc)
        {
            string baseDirectory = Path.GetDirectoryName(source) ?? Directory.GetCurrentDirectory();
            return Read(new Section(doc.RootElement, string.Empty), source, baseDirectory);
        }
    }

    private static ServeConfig Read(Section root, string source, string baseDirectory)
    {
        root.RequireObject();
        root.Only("inbound", "decisions", "control", "features", "model", "thresholds", "pipeline", "journal", "snapshots", "learning", "stats", "shutdown");

        var inbound = root.Required("inbound");
        inbound.Only("channel", "streamId", "allowedSources");
        string inboundChannel = inbound.RequiredString("channel");
        var (inboundEndpoint, _) = AeronChannel.Parse(inboundChannel, inbound.Field("channel"), allowPortZero: true);
        var inboundConfig = new InboundConfig(
            inboundChannel, inboundEndpoint, inbound.Int("streamId", WireStreams.Inbound, int.MinValue, int.MaxValue), inbound.Sources("allowedSources"));

        var decisions = root.Required("decisions");
        decisions.Only("channel", "streamId");
        string decisionChannel = decisions.RequiredString("channel");
        var (decisionEndpoint, decisionParameters) = AeronChannel.Parse(decisionChannel, decisions.Field("channel"), allowPortZero: false, "mtu", "term-length");
        var publicationDefaults = new AeronPublicationOptions();
        int mtu = decisionParameters.TryGetValue("mtu", out string? mtuText) ? AeronChannel.ParseSize(mtuText, decisions.Field("channel")) : publicationDefaults.Mtu;
        int termLength = decisionParameters.TryGetValue("term-length", out string? termText) ? AeronChannel.ParseSize(termText, decisions.Field("channel")) : publicationDefaults.TermLength;
        int decisionStream = decisions.Int("streamId", WireStreams.Decisions, int.MinValue, int.MaxValue);
        try
        {
            new AeronPublicationOptions { StreamId = decisionStream, Mtu = mtu, TermLength = termLength }.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ServeConfigException(decisions.Field("channel"), ex.Message);
        }

        var decisionsConfig = new DecisionsConfig(decisionChannel, decisionEndpoint, decisionStream, mtu, termLength);
        if (decisionStream == inboundConfig.StreamId && decisionEndpoint.Equals(inboundEndpoint))
        {
            throw new ServeConfigException(decisions.Field("channel"), "the decision channel and stream equal the inbound ones; decisions go to the gateway's address.");
        }

        ControlConfig? control = ReadControl(root.Optional("control"), inboundConfig);
        FeaturesConfig features = ReadFeatures(root.Optional("features"), baseDirectory);
        ModelConfig model = ReadModel(root.Optional("model"), baseDirectory);
        ThresholdsConfig thresholds = ReadThresholds(root.Optional("thresholds"), root.Field("thresholds"), model);
        PipelineConfig pipeline = ReadPipeline(root.Optional("pipeline"));

        JournalConfig? journal = null;
        if (root.Optional("journal") is { } j)
        {
            j.Only("directory", "durability", "syncInterval");
            var defaults = new JournalOptions { Directory = "." };
            journal = new JournalConfig(
                j.Path("directory", baseDirectory, required: true)!, j.Enum("durability", JournalDurability.Batch), j.Duration("syncInterval", defaults.SyncInterval, allowZero: false));
        }

        string? snapshots = journal?.Directory;
        if (root.Optional("snapshots") is { } s)
        {
            s.Only("directory");
            snapshots = s.Path("directory", baseDirectory, required: true);
        }

        var config = new ServeConfig
        {
            Source = source, Inbound = inboundConfig, Decisions = decisionsConfig, Control = control, Features = features, Model = model,
            Thresholds = thresholds, Pipeline = pipeline, Journal = journal, SnapshotDirectory = snapshots,
            Learning = ReadLearning(root.Optional("learning"), root.Field("learning"), baseDirectory, model),
        };

        if (root.Optional("stats") is { } stats)
        {
            stats.Only("interval");
            config = config with { StatsInterval = stats.Duration("interval", config.StatsInterval, allowZero: true) };
        }

        if (root.Optional("shutdown") is { } shutdown)
        {
            shutdown.Only("drainTimeout", "linger");
            config = config with
            {
                DrainTimeout = shutdown.Duration("drainTimeout", config.DrainTimeout, allowZero: false),
                Linger = shutdown.Duration("linger", config.Linger, allowZero: true),
            };
        }

        return config;
    }

    private static ServeLearningConfig? ReadLearning(Section? section, string field, string baseDirectory, ModelConfig model)
    {
        if (section is not { } l)
        {
            return null;
        }

        l.Only("versions", "minLabels", "promotionMargin", "onlineTree", "onlineTreeWeight", "joinCapacity");
        if (model is FileModelConfig { Version: not 1 } file)
        {
            throw new ServeConfigException(field, $"learning numbers the versions it writes from 1, the starting model; the model file is configured as version {file.Version} (set \"version\": 1 or leave it out).");
        }

        return new ServeLearningConfig(
            l.Path("versions", baseDirectory, required: true)!,
            l.Int("minLabels", 2000, 10, 1 << 24),
            l.Double("promotionMargin", 0.005, 0, 0.999),
            l.Bool("onlineTree", true),
            l.Double("onlineTreeWeight", 0.5, 0, 10),
            l.Int("joinCapacity", 1 << 18, 1, 1 << 26));
    }

    private static ControlConfig? ReadControl(Section? section, InboundConfig inbound)
    {
        const string DefaultChannel = "aeron:udp?endpoint=127.0.0.1:40458";
        if (section is not { } c)
        {
            return new ControlConfig(DefaultChannel, AeronChannel.Parse(DefaultChannel, "control.channel", true).Endpoint, WireStreams.Control, SourceAllowList.Loopback);
        }

        c.Only("enabled", "channel", "streamId", "allowedSources");
        if (!c.Bool("enabled", true))
        {
            return null;
        }

        string channel = c.String("channel") ?? DefaultChannel;
        var (endpoint, _) = AeronChannel.Parse(channel, c.Field("channel"), allowPortZero: true);
        if (endpoint.Port != 0 && endpoint.Equals(inbound.Endpoint))
        {
            throw new ServeConfigException(c.Field("channel"), "the control endpoint must be another address than the inbound one (its own socket, loopback by default).");
        }

        return new ControlConfig(channel, endpoint, c.Int("streamId", WireStreams.Control, int.MinValue, int.MaxValue), c.Sources("allowedSources") ?? SourceAllowList.Loopback);
    }

    private static FeaturesConfig ReadFeatures(Section? section, string baseDirectory)
    {
        string name = "payments";
        int? maxCapacity = null;
        string field = "features.spec";
        if (section is { } f)
        {
            f.Only("spec", "maxCapacity");
            name = f.String("spec") ?? name;
            maxCapacity = f.Has("maxCapacity") ? f.Int("maxCapacity", 0, 8, int.MaxValue) : null;
            field = f.Field("spec");
        }

        FeatureSpec spec;
        try
        {
            if (name is "payments" or "orders")
            {
                spec = FeatureSpec.LoadDefault(name);
            }
            else
            {
                string path = System.IO.Path.GetFullPath(name, baseDirectory);
                if (!File.Exists(path))
                {
                    throw new ServeConfigException(field, $"'{name}' is neither a shipped spec (payments, orders) nor an existing file ({path}).");
                }

                spec = FeatureSpec.Parse(File.ReadAllText(path));
            }

            if (maxCapacity is { } cap)
            {
                spec = spec.WithMaxCapacity(cap);
            }

            FeaturePlan.Compile(spec); // sizes against the memory budget, now rather than after training a model
        }
        catch (Exception ex) when (ex is FeatureSpecException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new ServeConfigException(field, ex.Message);
        }

        return new FeaturesConfig(name, spec, maxCapacity);
    }

    private static ModelConfig ReadModel(Section? section, string baseDirectory)
    {
        var bootstrapDefault = new BootstrapModelConfig(200_000, 42, 200_000);
        if (section is not { } m)
        {
            return bootstrapDefault;
        }

        m.Only("bootstrap", "path", "version");
        bool hasPath = m.Has("path");
        if (hasPath && m.Has("bootstrap"))
        {
            throw new ServeConfigException(m.Field("path"), "give either model.path or model.bootstrap, not both.");
        }

        if (hasPath)
        {
            string path = m.Path("path", baseDirectory, required: true)!;
            if (!File.Exists(path))
            {
                throw new ServeConfigException(m.Field("path"), $"no such file: {path}");
            }

            return new FileModelConfig(path, (uint)m.Int("version", 1, 1, int.MaxValue));
        }

        if (m.Has("version"))
        {
            throw new ServeConfigException(m.Field("version"), "only a model file takes a version; the bootstrap model is version 1.");
        }

        if (m.Optional("bootstrap") is not { } b)
        {
            return bootstrapDefault;
        }

        b.Only("history", "seed", "cards");
        return new BootstrapModelConfig(
            b.Int("history", bootstrapDefault.History, 1_000, 50_000_000), (ulong)b.Int("seed", (int)bootstrapDefault.Seed, 0, int.MaxValue),
            b.Int("cards", bootstrapDefault.Cards, 1_000, 100_000_000));
    }

    private static ThresholdsConfig ReadThresholds(Section? section, string field, ModelConfig model)
    {
        var calibrated = new ThresholdsConfig(null, null, 0.02, 0.005);
        if (section is not { } t)
        {
            return model is FileModelConfig
                ? throw new ServeConfigException(field, "a model file needs fixed thresholds: { \"review\": 0.5, \"decline\": 0.9 } (rates can only be calibrated on the bootstrap history).")
                : calibrated;
        }

        t.Only("review", "decline", "reviewRate", "declineRate");
        bool fixedScores = t.Has("review") || t.Has("decline");
        bool rates = t.Has("reviewRate") || t.Has("declineRate");
        if (fixedScores && rates)
        {
            throw new ServeConfigException(t.Field("review"), "give fixed thresholds (review, decline) or rates (reviewRate, declineRate), not both.");
        }

        if (fixedScores)
        {
            float review = (float)t.Double("review", null, 0, 1);
            float decline = (float)t.Double("decline", null, 0, 1);
            if (review > decline)
            {
                throw new ServeConfigException(t.Field("review"), string.Create(CultureInfo.InvariantCulture, $"must not exceed decline ({decline}); got {review}."));
            }

            return new ThresholdsConfig(review, decline, 0, 0);
        }

        if (model is FileModelConfig)
        {
            throw new ServeConfigException(t.Field("reviewRate"), "rates are calibrated on the bootstrap history; a model file needs fixed thresholds (review, decline).");
        }

        double reviewRate = t.Double("reviewRate", calibrated.ReviewRate, 1e-6, 0.999);
        double declineRate = t.Double("declineRate", calibrated.DeclineRate, 1e-6, 0.999);
        if (declineRate > reviewRate)
        {
            throw new ServeConfigException(t.Field("declineRate"), string.Create(CultureInfo.InvariantCulture, $"must not exceed reviewRate ({reviewRate}); got {declineRate}."));
        }

        return new ThresholdsConfig(null, null, reviewRate, declineRate);
    }

    private static PipelineConfig ReadPipeline(Section? section)
    {
        var defaults = new PipelineConfig(1 << 16, Topology.SingleThread, WaitStrategyKind.Blocking, IdleStrategyKind.Backoff);
        if (section is not { } p)
        {
            return defaults;
        }

        p.Only("ringSize", "topology", "waitStrategy", "idleStrategy", "reasons");
        int ring = p.Int("ringSize", defaults.RingSize, 2, 1 << 26);
        if ((ring & (ring - 1)) != 0)
        {
            throw new ServeConfigException(p.Field("ringSize"), string.Create(CultureInfo.InvariantCulture, $"must be a power of two; got {ring}."));
        }

        string? topologyText = p.String("topology");
        Topology topology = topologyText is null ? defaults.Topology : topologyText.ToLowerInvariant() switch
        {
            "single" or "singlethread" => Topology.SingleThread,
            "pipelined" => Topology.Pipelined,
            _ => throw new ServeConfigException(p.Field("topology"), $"'{topologyText}' is not a topology (single, pipelined)."),
        };
        return new PipelineConfig(ring, topology, p.Enum("waitStrategy", defaults.WaitStrategy), p.Enum("idleStrategy", defaults.Idle), p.Enum("reasons", defaults.Reasons));
    }

    /// <summary>One JSON object of the configuration and its dotted path, with readers that name the field on error.</summary>
    private readonly struct Section(JsonElement element, string path)
    {
        public string Field(string name) => path.Length == 0 ? name : path + "." + name;

        public void RequireObject()
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new ServeConfigException(path.Length == 0 ? "$" : path, $"must be an object; got {Describe(element)}.");
            }
        }

        public void Only(params string[] known)
        {
            foreach (JsonProperty p in element.EnumerateObject())
            {
                if (Array.IndexOf(known, p.Name) < 0)
                {
                    throw new ServeConfigException(Field(p.Name), $"unknown field (known here: {string.Join(", ", known)}).");
                }
            }
        }

        public bool Has(string name) => element.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null;

        public Section Required(string name) =>
            Optional(name) ?? throw new ServeConfigException(Field(name), "required.");

        public Section? Optional(string name)
        {
            if (!element.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            var section = new Section(v, Field(name));
            section.RequireObject();
            return section;
        }

        public string? String(string name)
        {
            if (!element.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
                ? s
                : throw new ServeConfigException(Field(name), $"must be a non-empty string; got {Describe(v)}.");
        }

        public string RequiredString(string name) => String(name) ?? throw new ServeConfigException(Field(name), "required.");

        public string? Path(string name, string baseDirectory, bool required)
        {
            string? text = required ? RequiredString(name) : String(name);
            return text is null ? null : System.IO.Path.GetFullPath(text, baseDirectory);
        }

        public int Int(string name, int defaultValue, int min, int max)
        {
            if (!element.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
            {
                return defaultValue;
            }

            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long n) || n < min || n > max)
            {
                throw new ServeConfigException(Field(name), string.Create(CultureInfo.InvariantCulture, $"must be an integer from {min} to {max}; got {Describe(v)}."));
            }

            return (int)n;
        }

        public double Double(string name, double? defaultValue, double min, double max)
        {
            if (!element.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
            {
                return defaultValue ?? throw new ServeConfigException(Field(name), "required.");
            }

            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d) || d < min || d > max)
            {
                throw new ServeConfigException(Field(name), string.Create(CultureInfo.InvariantCulture, $"must be a number from {min} to {max}; got {Describe(v)}."));
            }

            return d;
        }

        public bool Bool(string name, bool defaultValue)
        {
            if (!element.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
            {
                return defaultValue;
            }

            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new ServeConfigException(Field(name), $"must be true or false; got {Describe(v)}."),
            };
        }

        public TimeSpan Duration(string name, TimeSpan defaultValue, bool allowZero)
        {
            if (!element.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
            {
                return defaultValue;
            }

            string text = v.ValueKind == JsonValueKind.Number ? v.GetRawText() : v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
            if (!CliOptions.TryParseDuration(text, out TimeSpan value) || (!allowZero && value <= TimeSpan.Zero))
            {
                throw new ServeConfigException(Field(name), $"must be a {(allowZero ? string.Empty : "positive ")}duration such as \"10s\", \"500ms\" or a number of seconds; got {Describe(v)}.");
            }

            return value;
        }

        public T Enum<T>(string name, T defaultValue)
            where T : struct, Enum
        {
            string? text = String(name);
            if (text is null)
            {
                return defaultValue;
            }

            return System.Enum.TryParse(text, ignoreCase: true, out T value) && System.Enum.IsDefined(value) && !char.IsDigit(text[0])
                ? value
                : throw new ServeConfigException(Field(name), $"'{text}' is not one of: {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
        }

        public SourceAllowList? Sources(string name)
        {
            if (!element.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                throw new ServeConfigException(Field(name), $"must be an array of strings (IP, IP:port or CIDR); got {Describe(v)}.");
            }

            if (v.GetArrayLength() == 0)
            {
                return null;
            }

            var entries = v.EnumerateArray().Select(e => e.GetString()!).ToArray();
            try
            {
                return SourceAllowList.Parse(entries);
            }
            catch (FormatException ex)
            {
                throw new ServeConfigException(Field(name), ex.Message);
            }
        }

        private static string Describe(JsonElement v) => v.ValueKind switch
        {
            JsonValueKind.String => $"\"{v.GetString()}\"",
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            _ => v.GetRawText(),
        };
    }
}
