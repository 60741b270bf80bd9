using System.Runtime.CompilerServices;
using LowLatency.Engine.Events;

namespace LowLatency.Engine.Tests;

public class EventLayoutTests
{
    [Fact]
    public void Event_structs_are_unmanaged_so_slots_can_live_in_native_memory()
    {
        Assert.False(RuntimeHelpers.IsReferenceOrContainsReferences<Transaction>());
        Assert.False(RuntimeHelpers.IsReferenceOrContainsReferences<Label>());
        Assert.False(RuntimeHelpers.IsReferenceOrContainsReferences<Order>());
        Assert.False(RuntimeHelpers.IsReferenceOrContainsReferences<Decision>());
    }
}
