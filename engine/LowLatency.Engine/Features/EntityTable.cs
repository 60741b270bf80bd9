using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace LowLatency.Engine.Features;

/// <summary>
/// Open-addressing table of one entity type over native memory allocated once: a dense u64 key array
/// (so a probe touches one or two cache lines) and a parallel array of fixed-size state slots, one
/// entity's windows contiguous. Key 0 marks an empty slot. Nothing is ever deleted: eviction replaces
/// an entry in place, so a lookup may stop at the first empty slot. A key lives within
/// <see cref="FeaturePlan.ProbeWindow"/> slots of its home.
/// </summary>
internal sealed unsafe class EntityTable : IDisposable
{
    /// <summary>lastSeenNs of a slot that has not seen an event yet.</summary>
    internal const long Never = long.MinValue;
    /// <summary>Ring head of a window that holds no bucket; far enough from long.MinValue that head - n cannot overflow.</summary>
    internal const long EmptyHead = long.MinValue / 4;

    private readonly FeaturePlan _plan;
    private readonly int _entityIndex;
    internal readonly int Capacity;
    internal readonly int SlotBytes;
    private readonly ulong _homes;
    internal ulong* Keys;
    internal byte* State;

    /// <summary>Entity evictions because the probe window was full; owned by the processing thread.</summary>
    internal long EvictedFull;
    /// <summary>Entities forgotten after the TTL.</summary>
    internal long EvictedTtl;
    /// <summary>Entities created.</summary>
    internal long Inserted;
    /// <summary>Key of the last entity evicted because the table was full (test hook for the reference model).</summary>
    internal ulong LastFullEvictedKey;

    internal EntityTable(FeaturePlan plan, int entityIndex)
    {
        _plan = plan;
        _entityIndex = entityIndex;
        ref readonly EntityPlan e = ref plan.Entities[entityIndex];
        Capacity = e.Slots;
        SlotBytes = e.SlotBytes;
        _homes = (ulong)e.Capacity;
        Keys = (ulong*)TableMemory.AllocateZeroed((nuint)Capacity * sizeof(ulong));
        // The read loads a window's bucket arrays eight lanes at a time (masked): the last slot's last array may be read up
        // to 60 bytes past its end, so the state block carries that much more.
        State = (byte*)TableMemory.AllocateZeroed(((nuint)Capacity * (nuint)SlotBytes) + FeatureStore.ScanOverrunBytes);
    }

    internal long KeyBytes => (long)Capacity * sizeof(ulong);

    internal long StateBytes => (long)Capacity * SlotBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(ulong key) => (int)Math.BigMul(key * 0x9E3779B97F4A7C15UL, _homes, out _);

    /// <summary>
    /// Asks the memory system for the key's home probe line and the home slot's state lines, without waiting:
    /// issued an event or two ahead, the misses of several look-ups overlap instead of queueing one after another.
    /// A key usually lives at its home; when it does not, the prefetch was merely wasted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Prefetch(ulong key)
    {
        int home = Home(key);
        Sse.Prefetch0(Keys + home);
        byte* slot = State + ((nint)home * SlotBytes);
        byte* end = slot + SlotBytes;
        for (byte* line = (byte*)((nint)slot & ~63); line < end; line += 64)
        {
            Sse.Prefetch0(line);
        }
    }

    /// <summary>Read-only lookup: the slot of a live (not expired) entity, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* Find(ulong key, long expireBefore)
    {
        int home = Home(key);
        for (int p = 0; p < FeaturePlan.ProbeWindow; p++)
        {
            int i = home + p;
            ulong k = Keys[i];
            if (k == key)
            {
                byte* slot = State + ((nint)i * SlotBytes);
                return *(long*)slot < expireBefore ? null : slot;
            }

            if (k == 0)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>The entity's slot, created (and any evictions counted) when absent or expired.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* FindOrInsert(ulong key, long expireBefore)
    {
        int home = Home(key);
        for (int p = 0; p < FeaturePlan.ProbeWindow; p++)
        {
            int i = home + p;
            ulong k = Keys[i];
            if (k == key)
            {
                byte* slot = State + ((nint)i * SlotBytes);
                if (*(long*)slot < expireBefore)
                {
                    EvictedTtl++;
                    Reset(slot);
                }

                return slot;
            }

            if (k == 0)
            {
                return Claim(i, key);
            }
        }

        return Evict(home, key, expireBefore);
    }

    /// <summary>Probe window full: reuse an expired entry if any, else evict the stalest (ties: nearest home). Cold.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte* Evict(int home, ulong key, long expireBefore)
    {
        int victim = -1;
        long stalest = long.MaxValue;
        for (int p = 0; p < FeaturePlan.ProbeWindow; p++)
        {
            int i = home + p;
            long lastSeen = *(long*)(State + ((nint)i * SlotBytes));
            if (lastSeen < expireBefore)
            {
                EvictedTtl++;
                return Claim(i, key);
            }

            if (lastSeen < stalest)
            {
                stalest = lastSeen;
                victim = i;
            }
        }

        EvictedFull++;
        LastFullEvictedKey = Keys[victim];
        return Claim(victim, key);
    }

    private byte* Claim(int i, ulong key)
    {
        Keys[i] = key;
        Inserted++;
        byte* slot = State + ((nint)i * SlotBytes);
        Reset(slot);
        return slot;
    }

    /// <summary>Forgets everything about the entity in a slot: no last event, every ring empty.</summary>
    internal void Reset(byte* slot)
    {
        NativeMemory.Clear(slot, (nuint)SlotBytes);
        *(long*)slot = Never;
        ref readonly EntityPlan e = ref _plan.Entities[_entityIndex];
        if (e.VelocityOut >= 0)
        {
            *(long*)(slot + 8) = Never; // no location yet (only entities with a velocity feature keep one)
        }

        for (int w = e.FirstWindow; w < e.FirstWindow + e.WindowCount; w++)
        {
            *(long*)(slot + _plan.Windows[w].Offset) = EmptyHead;
        }
    }

    public void Dispose()
    {
        if (Keys != null)
        {
            TableMemory.Free(Keys);
            TableMemory.Free(State);
            Keys = null;
            State = null;
        }
    }
}
