/*
 * line-traffic: the memory floor of the feature store's access pattern, with no computation.
 *
 * Five tables sized like FeatureStoreBenchmarks' population for CARDS cards (cards and accounts CARDS x 1.25 slots,
 * merchants a twentieth of that, devices and IPs half), each slot a whole number of 64-byte lines given on the command
 * line. Per event one uniformly random slot of each table; every line of the five slots is read and written (one byte
 * each), as the store reads every bucket array of an entity and updates its newest bucket. With AHEAD = 1 the next
 * event's lines are prefetched first, as the store's Prefetch does. What it prints is the time per event that moving
 * those lines costs on this machine: the store cannot go below it for the same lines per event. Tables are 2 MiB
 * aligned and advised onto transparent huge pages, like TableMemory. Build and run (outside the .NET build; nothing
 * links it):
 *
 *     gcc -O2 -o /tmp/line-traffic perf/tools/line-traffic.c
 *     /tmp/line-traffic 1000000 1 12 12 11 9 9     # cards, ahead, lines per card/account/merchant/device/IP slot
 *
 * An optional last argument SPIN adds, after each event's lines, SPIN rounds of four independent floating-point
 * multiply-adds that touch no memory: a stand-in for the store's arithmetic, to see whether it overlaps the traffic (the
 * time with both, against each alone: run once with 1000 cards for the arithmetic alone).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define TABLES 5
#define EVENTS (1 << 20)
#define HUGE (2u << 20)

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv)
{
    if (argc != 3 + TABLES && argc != 4 + TABLES) {
        fprintf(stderr, "usage: %s CARDS AHEAD LINES_CARD LINES_ACCOUNT LINES_MERCHANT LINES_DEVICE LINES_IP [SPIN]\n", argv[0]);
        return 2;
    }

    const long cards = atol(argv[1]);
    const int ahead = atoi(argv[2]);
    const long spin = argc == 4 + TABLES ? atol(argv[3 + TABLES]) : 0;
    double acc = 1.0;
    const double share[TABLES] = { 1.25, 1.25, 1.25 / 20, 1.25 / 2, 1.25 / 2 };
    long slots[TABLES], bytes[TABLES];
    int lines[TABLES];
    unsigned char *table[TABLES];
    for (int k = 0; k < TABLES; k++) {
        lines[k] = atoi(argv[3 + k]);
        slots[k] = (long)(cards * share[k]);
        if (slots[k] < 1024) {
            slots[k] = 1024;
        }

        bytes[k] = slots[k] * lines[k] * 64;
        long rounded = (bytes[k] + HUGE - 1) / HUGE * HUGE;
        table[k] = aligned_alloc(HUGE, (size_t)rounded);
        if (table[k] == NULL) {
            fprintf(stderr, "out of memory for table %d (%ld bytes)\n", k, rounded);
            return 1;
        }

        madvise(table[k], (size_t)rounded, MADV_HUGEPAGE);
        memset(table[k], 1, (size_t)bytes[k]);
    }

    uint32_t *pick = malloc(sizeof(uint32_t) * EVENTS * TABLES);
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (long e = 0; e < (long)EVENTS * TABLES; e++) {
        pick[e] = (uint32_t)(next_random(&seed) % (uint64_t)slots[e % TABLES]);
    }

    long total_lines = 0;
    for (int k = 0; k < TABLES; k++) {
        total_lines += lines[k];
    }

    unsigned long sum = 0;
    for (int round = 0; round < 3; round++) {
        double start = now_s();
        for (long e = 0; e < EVENTS; e++) {
            if (ahead > 0 && e + ahead < EVENTS) {
                for (int k = 0; k < TABLES; k++) {
                    unsigned char *p = table[k] + (long)pick[(e + ahead) * TABLES + k] * lines[k] * 64;
                    for (int l = 0; l < lines[k]; l++) {
                        __builtin_prefetch(p + l * 64, 1, 3);
                    }
                }
            }

            for (int k = 0; k < TABLES; k++) {
                unsigned char *p = table[k] + (long)pick[e * TABLES + k] * lines[k] * 64;
                for (int l = 0; l < lines[k]; l++) {
                    sum += p[l * 64];
                    p[l * 64 + 8]++;
                }
            }

            double a0 = acc, a1 = 1.0, a2 = 1.0, a3 = 1.0;
            for (long k = 0; k < spin; k++) {
                a0 = a0 * 1.0000001 + 1e-9;
                a1 = a1 * 1.0000001 + 1e-9;
                a2 = a2 * 1.0000001 + 1e-9;
                a3 = a3 * 1.0000001 + 1e-9;
            }

            acc = a0 + a1 + a2 + a3;
        }

        double ns = (now_s() - start) / EVENTS * 1e9;
        printf("cards %ld, %ld lines per event, ahead %d, spin %ld: %.0f ns per event (%.1f ns per line)\n", cards, total_lines, ahead, spin, ns, ns / total_lines);
    }

    return sum == 42 && acc == 0.5 ? 3 : 0; /* keeps both results live */
}
