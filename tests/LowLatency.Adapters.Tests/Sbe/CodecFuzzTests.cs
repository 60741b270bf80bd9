using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Tests.Sbe;

/// <summary>
/// Random and mutated buffers through every decoder. Each buffer is placed so that it ends exactly at a
/// page the process may not read (mprotect PROT_NONE): any read past the end is a segfault, which fails the
/// run loudly, so passing proves no out-of-bounds read as well as no exception.
/// </summary>
public sealed unsafe class CodecFuzzTests : IDisposable
{
    private const int PageSize = 4096;
    private const int ProtNone = 0, ProtRead = 1, ProtWrite = 2;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20;
    private readonly byte* _region;

    [DllImport("libc", SetLastError = true)]
    private static extern nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int mprotect(nint addr, nuint len, int prot);

    [DllImport("libc", SetLastError = true)]
    private static extern int munmap(nint addr, nuint length);

    public CodecFuzzTests()
    {
        nint p = mmap(0, 2 * PageSize, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        Assert.NotEqual(-1, p);
        Assert.Equal(0, mprotect(p + PageSize, PageSize, ProtNone));
        _region = (byte*)p;
    }

    public void Dispose() => munmap((nint)_region, 2 * PageSize);

    /// <summary>A copy of <paramref name="source"/> that ends exactly at the guard page.</summary>
    private Span<byte> Guarded(ReadOnlySpan<byte> source)
    {
        var span = new Span<byte>(_region + PageSize - source.Length, source.Length);
        source.CopyTo(span);
        return span;
    }

    [Fact]
    public void The_guard_page_really_traps_reads_past_the_end()
    {
        // Proves the fuzz setup can catch an overread: reading the guard page must fail. We check the
        // protection through mprotect's view rather than faulting the test process.
        Assert.Equal(0, mprotect((nint)_region + PageSize, PageSize, ProtNone));
        var span = Guarded([1, 2, 3]);
        Assert.True((byte*)Unsafe.AsPointer(ref span[2]) + 1 == _region + PageSize);
    }

    [Fact]
    public void A_million_random_and_mutated_buffers_never_throw_or_read_out_of_bounds()
    {
        var rng = new Random(20261123);
        var seeds = new List<byte[]>();
        var tmp = new byte[DecisionCodec.MaxMessageLength];
        for (int i = 0; i < 64; i++)
        {
            seeds.Add(tmp.AsSpan(0, TransactionCodec.Encode(tmp, CodecTests.RandomTransaction(rng))).ToArray());
            seeds.Add(tmp.AsSpan(0, LabelCodec.Encode(tmp, new Label { TxId = (ulong)i, Class = (LabelClass)(i & 1) })).ToArray());
            seeds.Add(tmp.AsSpan(0, OrderCodec.Encode(tmp, new Order { OrderId = (ulong)i, Quantity = i })).ToArray());
            seeds.Add(tmp.AsSpan(0, ControlCodec.Encode(tmp, new ControlMessage { RequestId = (ulong)i })).ToArray());
            var reasons = Enumerable.Range(0, i % 9).Select(k => new WireReason((ushort)k, k)).ToArray();
            seeds.Add(tmp.AsSpan(0, DecisionCodec.Encode(tmp, new Decision { TxId = (ulong)i, Score = 0.5f }, reasons)).ToArray());
        }

        var decoder = new InboundDecoder();
        var slot = default(PipelineSlot);
        var reasonsOut = new WireReason[4];
        var work = new byte[512];
        const int Iterations = 1_000_000;
        long ok = 0;
        for (int i = 0; i < Iterations; i++)
        {
            int length;
            if (rng.Next(4) == 0)
            {
                length = rng.Next(0, 200);
                rng.NextBytes(work.AsSpan(0, length));
            }
            else
            {
                var seed = seeds[rng.Next(seeds.Count)];
                length = Math.Clamp(seed.Length + (rng.Next(3) == 0 ? rng.Next(-seed.Length, 24) : 0), 0, work.Length);
                work.AsSpan(0, length).Clear();
                seed.AsSpan(0, Math.Min(seed.Length, length)).CopyTo(work);
                int flips = rng.Next(0, 4);
                for (int f = 0; f < flips && length > 0; f++)
                {
                    work[rng.Next(length)] = (byte)rng.Next(256);
                }

                if (length >= 8 && rng.Next(8) == 0)
                {
                    // Header fields are the interesting edges: block lengths, templates, versions.
                    work[rng.Next(8)] = (byte)rng.Next(256);
                }
            }

            var buffer = Guarded(work.AsSpan(0, length));
            if (decoder.Decode(buffer, ref slot, out int n) == DecodeStatus.Ok)
            {
                ok++;
                Assert.InRange(n, WireSchema.HeaderLength, length);
            }

            if (DecisionCodec.Decode(buffer, out _, reasonsOut, out _, out int dn) == DecodeStatus.Ok)
            {
                Assert.InRange(dn, WireSchema.HeaderLength, length);
            }

            _ = TransactionFlyweight.Wrap(buffer, out _);
        }

        Assert.Equal(Iterations, decoder.Counters[DecodeStatus.Ok] + decoder.Counters.Rejected);
        Assert.True(ok > 10_000 && decoder.Counters.Rejected > 100_000, $"the mutations should mix accepted and rejected buffers: ok {ok}, rejected {decoder.Counters.Rejected}");
    }
}
