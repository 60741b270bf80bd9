using System.Globalization;
using System.Net;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Engine.Features;
using LowLatency.Engine.Journal;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Host;

/// <summary>
/// Everything <c>lowlat serve</c> runs with, validated (<see cref="ServeConfigReader"/> builds it from the JSON file and
/// names the field of the first problem). Defaults are documented on each member and in <c>config/serve.sample.json</c>.
/// </summary>
internal sealed record ServeConfig
{
    /// <summary>The file the configuration came from (relative paths in it are resolved against its directory).</summary>
    public required string Source { get; init; }

    /// <summary>Where gateways publish Transactions, Labels and Orders. Required.</summary>
    public required InboundConfig Inbound { get; init; }

    /// <summary>Where decisions go. Required.</summary>
    public required DecisionsConfig Decisions { get; init; }

    /// <summary>The control endpoint (model promote, rollback, snapshot); null when disabled. Default 127.0.0.1:40458, stream 1003, loopback sources only.</summary>
    public ControlConfig? Control { get; init; }

    /// <summary>The feature spec and its table sizes. Default the shipped payments spec.</summary>
    public required FeaturesConfig Features { get; init; }

    /// <summary>The scoring model. Default the bootstrap model trained on simulated history.</summary>
    public required ModelConfig Model { get; init; }

    /// <summary>Decision thresholds. Default calibrated rates: 2% review or decline, 0.5% decline (bootstrap model only).</summary>
    public required ThresholdsConfig Thresholds { get; init; }

    /// <summary>Ring, threads and idle strategies. Defaults sane on 2 cores: single thread, blocking wait, backoff idle.</summary>
    public required PipelineConfig Pipeline { get; init; }

    /// <summary>Journal of accepted input; null when not journaling (the default).</summary>
    public JournalConfig? Journal { get; init; }

    /// <summary>Continual learning from the labels on the inbound stream; null when off (the default).</summary>
    public ServeLearningConfig? Learning { get; init; }

    /// <summary>Where Snapshot control messages write the pipeline state; default the journal directory, null when neither is set.</summary>
    public string? SnapshotDirectory { get; init; }

    /// <summary>How often a one-line stats report is printed (zero: never). Default 5 s.</summary>
    public TimeSpan StatsInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait for the ring to drain at shutdown. Default 10 s.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait for the last decisions to be sent and the end of stream acknowledged at shutdown. Default 2 s.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>The inbound channel.</summary>
/// <param name="Channel">As configured (<c>aeron:udp?endpoint=host:port</c>).</param>
/// <param name="Endpoint">The address to bind (port 0: an ephemeral port, printed at start-up).</param>
/// <param name="StreamId">Inbound stream id (default 1001).</param>
/// <param name="AllowedSources">Sources allowed to publish; null accepts any.</param>
internal sealed record InboundConfig(string Channel, IPEndPoint Endpoint, int StreamId, SourceAllowList? AllowedSources);

/// <summary>The decision channel.</summary>
/// <param name="Channel">As configured.</param>
/// <param name="Endpoint">The gateway's subscription address.</param>
/// <param name="StreamId">Decision stream id (default 1002).</param>
/// <param name="Mtu">Publication mtu (channel parameter <c>mtu</c>, default 1408).</param>
/// <param name="TermLength">Publication term length (channel parameter <c>term-length</c>, default 1 MiB).</param>
internal sealed record DecisionsConfig(string Channel, IPEndPoint Endpoint, int StreamId, int Mtu, int TermLength);

/// <summary>The control channel.</summary>
/// <param name="Channel">As configured.</param>
/// <param name="Endpoint">The address to bind (loopback by default).</param>
/// <param name="StreamId">Control stream id (default 1003).</param>
/// <param name="AllowedSources">Sources allowed to send commands (default loopback only).</param>
internal sealed record ControlConfig(string Channel, IPEndPoint Endpoint, int StreamId, SourceAllowList AllowedSources);

/// <summary>The feature spec.</summary>
/// <param name="Name">The shipped name (payments, orders) or the path as configured.</param>
/// <param name="Spec">The parsed spec, capacities already capped.</param>
/// <param name="MaxCapacity">The cap applied to every entity table, or null for the spec's own capacities.</param>
internal sealed record FeaturesConfig(string Name, FeatureSpec Spec, int? MaxCapacity);

/// <summary>Where the scoring model comes from.</summary>
internal abstract record ModelConfig;

/// <summary>A logistic model trained at start-up on simulated history (what <c>demo</c> does).</summary>
/// <param name="History">Events of simulated history to train on (default 200,000).</param>
/// <param name="Seed">Simulator seed (default 42).</param>
/// <param name="Cards">Cards (or accounts) in the simulated population (default 200,000).</param>
internal sealed record BootstrapModelConfig(int History, ulong Seed, int Cards) : ModelConfig;

/// <summary>A model file: our binary LLMODEL, XGBoost JSON or LightGBM text (see <see cref="ServeModel"/> for what scores today).</summary>
/// <param name="Path">Full path of the file.</param>
/// <param name="Version">Version reported in decisions (default 1).</param>
internal sealed record FileModelConfig(string Path, uint Version) : ModelConfig;

/// <summary>Decision thresholds: fixed scores, or rates calibrated on the bootstrap history.</summary>
/// <param name="Review">Fixed lowest score sent to review, or null when calibrated.</param>
/// <param name="Decline">Fixed lowest score declined, or null when calibrated.</param>
/// <param name="ReviewRate">Share of events to review or decline when calibrated.</param>
/// <param name="DeclineRate">Share of events to decline when calibrated.</param>
internal sealed record ThresholdsConfig(float? Review, float? Decline, double ReviewRate, double DeclineRate)
{
    /// <summary>Whether the thresholds are fixed scores.</summary>
    public bool IsFixed => Review.HasValue;

    /// <inheritdoc/>
    public override string ToString() => IsFixed
        ? string.Create(CultureInfo.InvariantCulture, $"review at score ≥ {Review:F3}, decline at ≥ {Decline:F3}")
        : string.Create(CultureInfo.InvariantCulture, $"calibrated: {ReviewRate:P1} review or decline, {DeclineRate:P1} decline");
}

/// <summary>Ring, threads, waits.</summary>
/// <param name="RingSize">Ring slots, a power of two (default 65,536).</param>
/// <param name="Topology">single (default) or pipelined.</param>
/// <param name="WaitStrategy">How idle consumer threads wait (default blocking: no CPU when idle).</param>
/// <param name="Idle">How the network thread waits when idle (default backoff: parks in poll()).</param>
/// <param name="Reasons">Which decisions carry reason codes (default flagged: reviews and declines).</param>
internal sealed record PipelineConfig(int RingSize, Topology Topology, WaitStrategyKind WaitStrategy, IdleStrategyKind Idle, ReasonCodes Reasons = ReasonCodes.Flagged);

/// <summary>The journal.</summary>
/// <param name="Directory">Full path of the journal directory.</param>
/// <param name="Durability">none, batch or syncbeforepublish (default batch).</param>
/// <param name="SyncInterval">Batch durability: how often the new records are forced to the disk, the most a power loss can lose (default 10 ms).</param>
internal sealed record JournalConfig(string Directory, JournalDurability Durability, TimeSpan SyncInterval)
{
    /// <summary>The journal writer's options (the rest at their defaults).</summary>
    public JournalOptions Options() => new() { Directory = Directory, Durability = Durability, SyncInterval = SyncInterval };
}

/// <summary>Continual learning in <c>serve</c>.</summary>
/// <param name="VersionRoot">Directory under which each run writes its model versions, in a subdirectory of its own.</param>
/// <param name="MinLabels">Labels champion and challenger are judged on before a promotion or rollback (default 2,000).</param>
/// <param name="PromotionMargin">Windowed AUC by which a challenger must beat the champion (default 0.005).</param>
/// <param name="OnlineTree">Whether the challenger grows an adaptive Hoeffding tree (default true).</param>
/// <param name="OnlineTreeWeight">The online tree's weight in the champion's margin (default 0.5).</param>
/// <param name="JoinCapacity">Decisions kept waiting for their labels (default 262,144).</param>
internal sealed record ServeLearningConfig(string VersionRoot, int MinLabels, double PromotionMargin, bool OnlineTree, double OnlineTreeWeight, int JoinCapacity);
