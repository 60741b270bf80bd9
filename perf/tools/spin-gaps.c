/*
 * spin-gaps: how much of a busy-spinning thread's wall time this machine takes away.
 *
 * One thread reads CLOCK_MONOTONIC in a tight loop for 10 s and histograms every gap between two
 * consecutive reads longer than 1 us (a read takes ~20-50 ns, so a longer gap is time the thread
 * did not run: an interrupt, a kernel thread, the hypervisor descheduling the vCPU). No allocation,
 * no system call besides the vDSO clock read: a floor under any latency a spinning engine thread can
 * reach here. Build and run (outside the .NET build; nothing links it):
 *
 *     gcc -O2 -o /tmp/spin-gaps perf/tools/spin-gaps.c && /tmp/spin-gaps
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int main(void)
{
    static const uint64_t upper[] = { 2000, 5000, 10000, 20000, 40000, 100000, 1000000, UINT64_MAX };
    static const char *names[] = { "1-2 us", "2-5 us", "5-10 us", "10-20 us", "20-40 us", "40-100 us", "0.1-1 ms", ">1 ms" };
    uint64_t count[8] = { 0 }, total[8] = { 0 }, longest = 0;
    const uint64_t start = now_ns(), end = start + 10000000000ull;
    uint64_t prev = start;
    for (;;)
    {
        uint64_t t = now_ns(), gap = t - prev;
        prev = t;
        if (t > end)
        {
            break;
        }

        if (gap < 1000)
        {
            continue;
        }

        if (gap > longest)
        {
            longest = gap;
        }

        for (int b = 0; b < 8; b++)
        {
            if (gap < upper[b])
            {
                count[b]++;
                total[b] += gap;
                break;
            }
        }
    }

    uint64_t lost = 0;
    for (int b = 0; b < 8; b++)
    {
        lost += total[b];
        printf("%-10s %8llu gaps %10.2f ms\n", names[b], (unsigned long long)count[b], total[b] / 1e6);
    }

    printf("lost %.2f ms of 10000 (%.2f%%); longest gap %.0f us\n", lost / 1e6, lost / 1e8, longest / 1e3);
    return 0;
}
