using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Gateway;

/// <summary>
/// Hears the decisions a <see cref="GatewayClient{TListener}"/> receives, on the client's receive thread. Implement on a
/// struct (it is a type argument: calls are direct). Spans are valid only during the call.
/// </summary>
public interface IDecisionListener
{
    /// <summary>A decision for a transaction this client sent; <paramref name="sentTicks"/> is what the send passed in.</summary>
    void OnDecision(in Decision decision, ReadOnlySpan<WireReason> reasons, long sentTicks, long receivedTicks);

    /// <summary>A decision with no pending transaction (a duplicate, one sent by another client, or evicted when the table overflowed).</summary>
    void OnUnmatched(in Decision decision);
}
